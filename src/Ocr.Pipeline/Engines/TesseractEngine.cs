using System.Runtime.InteropServices;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// One libtesseract instance, with the pool's orientation detector (or its own). Not
/// thread-safe: the pool gives each worker thread its own engine and never shares one.
/// </summary>
public sealed class TesseractEngine : IDisposable
{
    // Tesseract page segmentation modes (tesseract/publictypes.h).
    private const int PsmAuto = 3;
    private const int PsmSingleBlock = 6;

    // An upright page's words read at 70-95 % mean confidence (faded receipts the lowest), an
    // upside-down page's at 40-45 %: above this, with lines running across, the page is upright.
    private const double UprightConfidence = 0.62;
    private const int UprightLetters = 20;

    private const int OsdMaximumSide = 2000;

    // Below this mean word confidence, Auto tries the other recipes.
    private const double ConfidentReading = 0.80;

    private static readonly TesseractApi.CancelFunc CancelCallback = IsCancelled;
    private static readonly IntPtr CancelCallbackPointer = Marshal.GetFunctionPointerForDelegate(CancelCallback);

    private readonly string? _dataPath;
    private readonly IntPtr _api;
    private readonly OsdDetector _osd;
    private readonly bool _ownsOsd;
    private readonly IntPtr _monitor;
    private readonly unsafe int* _cancelFlag;
    private string _language;

    public TesseractEngine(string? dataPath, string language, OsdDetector? orientation = null)
    {
        NativeLibraries.EnsureLoaded();
        _dataPath = dataPath;
        _language = language;
        _api = TesseractApi.TessBaseAPICreate();
        Init(_api, language);
        _ownsOsd = orientation is null;
        _osd = orientation ?? new OsdDetector(dataPath);
        _monitor = TesseractApi.TessMonitorCreate();
        unsafe
        {
            _cancelFlag = (int*)NativeMemory.AllocZeroed(sizeof(int));
            TesseractApi.TessMonitorSetCancelFunc(_monitor, CancelCallbackPointer);
            TesseractApi.TessMonitorSetCancelThis(_monitor, (IntPtr)_cancelFlag);
        }
    }

    public static string Version => Marshal.PtrToStringUTF8(TesseractApi.TessVersion()) ?? "unknown";

    public string Language => _language;

    /// <summary>
    /// Reads one page, leaving <paramref name="image"/> as it came: a copy is deskewed, turned
    /// upright (when asked) and a weak reading retried; word boxes come back in the frame of
    /// <paramref name="image"/>.
    /// </summary>
    public PageRecognition Recognize(PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.Language, _language, StringComparison.Ordinal))
        {
            Init(_api, request.Language);
            _language = request.Language;
        }

        var stages = new StageTimes();
        using var working = image.Copy();
        if (working.Resolution < 70)
        {
            // Tesseract guesses badly without a resolution; 300 is what scans most often are.
            working.SetResolution(300);
        }

        var (width, height) = (image.Width, image.Height);
        using var registration = cancellationToken.Register(SignalCancel);
        ResetCancel();
        var firstRecipe = request.Preprocess == PreprocessMode.Full ? PageRecipes.Full : PageRecipes.Plain;
        int rotation;
        double deskew;
        PageFrame frame;
        Reading first;
        if (request.Known is { } known)
        {
            deskew = working.Straighten(known.Deskew);
            rotation = known.Rotation;
            working.TurnCounterClockwise(rotation);
            frame = new PageFrame(width, height, deskew, rotation);
            first = stages.Time("read", () => ReadWith(working, frame, firstRecipe, PsmAuto, cancellationToken));
        }
        else
        {
            deskew = request.Preprocess != PreprocessMode.None ? stages.Time("deskew", working.Deskew) : 0.0;
            frame = new PageFrame(width, height, deskew, 0);
            rotation = 0;
            // OSD needs characters, not resolution: a large page is checked at half size.
            using var sample = request.AutoRotate && Math.Max(working.Width, working.Height) > OsdMaximumSide ? Scaled(working, 0.5f) : null;
            // A clear answer from the ascender count (about 10 ms) is taken; a page it cannot
            // settle (receipts, figures, little text) is read as it came, and only a reading that
            // does not look upright pays for Tesseract's OSD and a second reading.
            var clear = request.AutoRotate ? stages.Time("orientation", () => AscenderOrientation.Detect(sample ?? working)) : 0;
            if (clear is int turn && turn != 0)
            {
                working.TurnCounterClockwise(turn);
                (rotation, frame) = (turn, frame with { Rotation = turn });
            }

            first = stages.Time("read", () => ReadWith(working, frame, firstRecipe, PsmAuto, cancellationToken));
            if (clear is null && !LooksUpright(first))
            {
                var detected = stages.Time("orientation.osd", () => _osd.Rotation(sample ?? working));
                if (detected != 0)
                {
                    working.TurnCounterClockwise(detected);
                    var turnedFrame = frame with { Rotation = detected };
                    var turned = stages.Time("orientation.reread", () => ReadWith(working, turnedFrame, firstRecipe, PsmAuto, cancellationToken));
                    // OSD misreads some sparse pages (receipts) as upside down: the better reading wins.
                    if (!first.Horizontal || Score(turned) >= Score(first))
                    {
                        (first, rotation, frame) = (turned, detected, turnedFrame);
                    }
                    else
                    {
                        working.TurnCounterClockwise(360 - detected);
                    }
                }
            }
        }

        var retries = System.Diagnostics.Stopwatch.StartNew();
        var best = first;
        if (request.Preprocess == PreprocessMode.Auto && request.RetryWeak && !LooksConfident(first))
        {
            // A weak page is read again with other recipes; the most confident full reading wins.
            Reading[] candidates =
            [
                first,
                ReadWith(working, frame, PageRecipes.Contrast, PsmAuto, cancellationToken),
                ReadWith(working, frame, PageRecipes.Binary, PsmAuto, cancellationToken),
                ReadWith(working, frame, PageRecipes.Plain, PsmSingleBlock, cancellationToken),
            ];
            best = Choose(candidates);
        }
        else if (request.Preprocess == PreprocessMode.None && !LooksComplete(first))
        {
            best = Choose([first, ReadWith(working, frame, PageRecipes.Plain, PsmSingleBlock, cancellationToken)]);
        }

        stages.Add("retries", retries.Elapsed.TotalSeconds);
        return new PageRecognition(TesseractLayout.TextOf(best.Blocks), best.Confidence, rotation, deskew, best.Recipe, OcrEngines.Tesseract, best.Blocks, stages.Seconds);
    }

    private sealed record Reading(string Text, double Confidence, string Recipe, IReadOnlyList<TextBlock> Blocks)
    {
        public int Letters { get; } = Text.Count(char.IsLetterOrDigit);

        /// <summary>
        /// Whether the words lie across the page: Tesseract also reads a page turned a quarter,
        /// as vertical lines, which is right text in the wrong frame for the page's outputs.
        /// </summary>
        public bool Horizontal { get; } = IsHorizontal(Blocks);
    }

    private static bool LooksUpright(Reading reading) =>
        reading.Letters >= UprightLetters && reading.Confidence >= UprightConfidence && reading.Horizontal;

    private static bool IsHorizontal(IReadOnlyList<TextBlock> blocks)
    {
        int across = 0, counted = 0;
        foreach (var word in blocks.SelectMany(b => b.Lines).SelectMany(l => l.Words))
        {
            if (word.Text.Length < 3)
            {
                continue;
            }

            counted++;
            if (word.Box.Width > word.Box.Height)
            {
                across++;
            }
        }

        return counted > 0 && across >= 0.8 * counted;
    }

    private static bool LooksComplete(Reading reading) => reading.Letters >= 3 && reading.Confidence >= 0.5;

    private static bool LooksConfident(Reading reading) => reading.Letters >= 3 && reading.Confidence >= ConfidentReading;

    private static double Score(Reading reading) => reading.Letters * reading.Confidence;

    private static Reading Choose(IReadOnlyList<Reading> readings) => ReadingChoice.MostConfident(readings, r => r.Letters, r => r.Confidence);

    private Reading ReadWith(PageImage image, PageFrame frame, string recipe, int pageSegMode, CancellationToken cancellationToken)
    {
        var label = pageSegMode == PsmAuto ? recipe : $"{recipe}+psm{pageSegMode}";
        if (recipe == PageRecipes.Plain)
        {
            var (text, confidence, blocks) = Read(image, frame, pageSegMode, cancellationToken);
            return new Reading(text, confidence, label, blocks);
        }

        using var prepared = PageRecipes.Apply(image, recipe);
        var (preparedText, preparedConfidence, preparedBlocks) = Read(prepared, frame.ScaledBy(prepared.Width / (double)image.Width), pageSegMode, cancellationToken);
        return new Reading(preparedText, preparedConfidence, label, preparedBlocks);
    }

    private static PageImage Scaled(PageImage image, float factor)
    {
        var scaled = new PageImage(LeptonicaApi.pixScale(image.Handle, factor, factor));
        scaled.SetResolution(Math.Max(70, (int)(image.Resolution * factor)));
        return scaled;
    }

    private (string Text, double Confidence, IReadOnlyList<TextBlock> Blocks) Read(PageImage image, PageFrame frame, int pageSegMode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TesseractApi.TessBaseAPISetPageSegMode(_api, pageSegMode);
        TesseractApi.TessBaseAPISetImage2(_api, image.Handle);
        try
        {
            var status = TesseractApi.TessBaseAPIRecognize(_api, _monitor);
            cancellationToken.ThrowIfCancellationRequested();
            if (status != 0)
            {
                throw new OcrPageException("Tesseract could not recognize the page", transient: true);
            }

            var textPointer = TesseractApi.TessBaseAPIGetUTF8Text(_api);
            var text = Marshal.PtrToStringUTF8(textPointer) ?? string.Empty;
            TesseractApi.TessDeleteText(textPointer);
            return (text, WordConfidence(), TesseractLayout.Read(_api, frame));
        }
        finally
        {
            TesseractApi.TessBaseAPIClear(_api);
        }
    }

    /// <summary>Mean of the word confidences (0-1), ignoring the empty words Tesseract also reports.</summary>
    private double WordConfidence()
    {
        var array = TesseractApi.TessBaseAPIAllWordConfidences(_api);
        if (array == IntPtr.Zero)
        {
            return 0;
        }

        try
        {
            double sum = 0;
            var count = 0;
            for (var i = 0; ; i++)
            {
                var value = Marshal.ReadInt32(array, i * sizeof(int));
                if (value < 0)
                {
                    break;
                }

                if (value > 0)
                {
                    sum += value;
                    count++;
                }
            }

            return count == 0 ? 0 : Math.Clamp(sum / count / 100.0, 0, 1);
        }
        finally
        {
            TesseractApi.TessDeleteIntArray(array);
        }
    }

    private void Init(IntPtr api, string language) => Load(api, _dataPath, language);

    /// <summary>Loads <paramref name="model"/> (a language, or `osd`) into <paramref name="api"/>, its debug output silenced.</summary>
    internal static void Load(IntPtr api, string? dataPath, string model)
    {
        if (TesseractApi.TessBaseAPIInit3(api, dataPath, model) != 0)
        {
            throw new InvalidOperationException($"Tesseract could not load language '{model}' from {dataPath ?? "its default tessdata"}");
        }

        TesseractApi.TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    }

    private unsafe void SignalCancel() => Volatile.Write(ref *_cancelFlag, 1);

    private unsafe void ResetCancel() => Volatile.Write(ref *_cancelFlag, 0);

    private static unsafe bool IsCancelled(IntPtr cancelThis, int words) =>
        cancelThis != IntPtr.Zero && Volatile.Read(ref *(int*)cancelThis) != 0;

    public void Dispose()
    {
        TesseractApi.TessMonitorDelete(_monitor);
        TesseractApi.TessBaseAPIEnd(_api);
        TesseractApi.TessBaseAPIDelete(_api);
        if (_ownsOsd)
        {
            _osd.Dispose();
        }

        unsafe
        {
            NativeMemory.Free(_cancelFlag);
        }
    }
}
