using Ocr.Pipeline.Pages;
namespace Ocr.Pipeline.Streams;

/// <summary>What a job's page stream tells its job: first the plan, then each page as it is read.</summary>
public abstract record PageStreamEvent;

/// <summary>The document is open: its page count, the pages the job selected, and those still to read.</summary>
public sealed record DocumentPlanned(int PageCount, IReadOnlyList<int> Planned, IReadOnlyList<int> ToRead) : PageStreamEvent;

/// <summary>One page read.</summary>
public sealed record PageRead(PageModel Page) : PageStreamEvent;
