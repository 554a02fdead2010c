using Ocr.Ctl;

var parse = Cli.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    // Bad usage is 2 (SPEC.md), not the parser's default 1, which means "the service refused".
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"ocrctl: {error.Message}");
    }

    Console.Error.WriteLine("ocrctl --help lists the commands");
    return 2;
}

return await parse.InvokeAsync();
