using System.Runtime;
using Akka.Streams;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// The neural OCR engine: text detection on the page, lines cut out and straightened, and
/// recognition in the node's shared batching stage. ONNX sessions are created once and shared
/// (ONNX Runtime runs them from several threads at once).
/// </summary>
public sealed class NeuralEngine : IPageEngine, IDisposable
{
    // Orientation: a page whose lines mostly stand upright is turned a quarter; one whose lines mostly read upside down, a half.
    private const double UpsideDownShare = 0.65;

    // A GPU wants large batches; on the CPU a batch of 2048 pixel columns (a receipt's crops in
    // five or six batches) ran as fast as one of 8192 and held the arena's peak lower
    // (perf.py's mixed PDF: 470-540 MB against 560 MB for the pipeline alone).
    private const int GpuBatchColumns = 8192;
    private const int CpuBatchColumns = 2048;

    private readonly InferenceSession _detection;
    private readonly InferenceSession _recognition;
    private readonly InferenceSession _orientation;
    private readonly TextDetector _detector;
    private readonly OrientationClassifier _classifier;
    private readonly RecognitionBatcher _batcher;
    private readonly SemaphoreSlim _pageSlots;
    private readonly ConfidenceCalibration _calibration;
    private readonly double _receiptLineWidthScale;
    private long _pagesRecognized;
    private int _busy;

    public NeuralEngine(NeuralModelSet models, ExecutionChoice provider, Func<IMaterializer> materializer, NeuralOptions options)
    {
        // libtesseract must be loaded before OpenCV: OpenCV's bundled libpng would otherwise win symbol resolution.
        NativeLibraries.EnsureLoaded();
        if (options.ReceiptLineWidthScale is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ReceiptLineWidthScale, "a receipt's lines are read at more than 0 and at most 1 times their width");
        }

        Models = models;
        Provider = provider;
        using (var sessionOptions = ExecutionProvider.SessionOptionsFor(provider))
        {
            _detection = OpenSession(models.DetectionPath, sessionOptions);
            _recognition = OpenSession(models.RecognitionPath, sessionOptions);
            _orientation = OpenSession(models.OrientationPath, sessionOptions);
        }

        // The models' bytes, read and rewritten (~35 MB for PP-OCRv4), are garbage once the sessions
        // hold their own copies; on the large object heap they would stay resident until a full
        // collection happened to come.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

        var classes = _recognition.OutputMetadata.Values.First().Dimensions[^1];
        if (classes > 0 && classes != models.Characters.Count + 1)
        {
            throw new NeuralModelException(
                $"model set '{models.Name}': the recognition model has {classes} classes but the dictionary gives {models.Characters.Count + 1}");
        }

        _detector = new TextDetector(_detection, options.DetectionMaxSide);
        _classifier = new OrientationClassifier(_orientation);
        _calibration = options.Calibration;
        _receiptLineWidthScale = options.ReceiptLineWidthScale;
        var recognizer = new TextRecognizer(_recognition, models.Characters, options.SpaceGapRatio);
        _batcher = new RecognitionBatcher(recognizer, materializer, options.MaxBatch, options.BatchWindow, options.Workers,
            provider.OnGpu ? GpuBatchColumns : CpuBatchColumns);
        _pageSlots = new SemaphoreSlim(options.Workers);
        Workers = options.Workers;
    }

    public NeuralModelSet Models { get; }

    /// <summary>Patterns rewritten when the three models were opened (see <see cref="OnnxGraphFusion"/>).</summary>
    public int PatternsFused { get; private set; }

    public ExecutionChoice Provider { get; }

    public int Workers { get; }

    public string ModelName => $"{Models.Name} (onnxruntime {(Provider.OnGpu ? "cuda" : "cpu")})";

    public long PagesRecognized => Interlocked.Read(ref _pagesRecognized);

    public int Busy => Volatile.Read(ref _busy);

    public long BatchesRun => _batcher.BatchesRun;

    public long CropsRecognized => _batcher.CropsRecognized;

    public long BatchesSpanningPages => _batcher.BatchesSpanningPages;

    public string Name => OcrEngines.Neural;

    public ConfidenceCalibration Calibration => _calibration;

    public Task<PageRecognition> ReadAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken) =>
        RecognizeAsync(image, request, cancellationToken);

    /// <summary>Reads a page (left as it came); confidences are raw letter probabilities, boxes in the page's frame.</summary>
    public async Task<PageRecognition> RecognizeAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        PreparedPage prepared;
        await _pageSlots.WaitAsync(cancellationToken);
        Interlocked.Increment(ref _busy);
        try
        {
            prepared = await Task.Run(() => Prepare(image, request, cancellationToken), cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _busy);
            _pageSlots.Release();
        }

        var recognition = System.Diagnostics.Stopwatch.StartNew();
        var readings = await _batcher.RecognizeAsync(prepared.Crops, cancellationToken);
        prepared.Stages.Add("recognition", recognition.Elapsed.TotalSeconds);
        var lines = new List<TextLine>();
        var read = prepared.Crops.Zip(readings).Where(pair => pair.Second.Text.Length > 0).ToList();
        foreach (var row in ReadingOrder.Arrange(read, pair => pair.First.Region.Core, pair => pair.Second.Text.Length))
        {
            var words = row.SelectMany(pair => WordsOf(pair.First, pair.Second)).Select(prepared.Frame.ToUpload).ToList();
            var text = string.Join(' ', row.Select(pair => pair.Second.Text));
            var confidence = TextLine.LetterWeighted(row.Select(pair => (pair.Second.Text, pair.Second.Confidence)));
            lines.Add(new TextLine(text, Math.Round(confidence, 4), prepared.Frame.ToUpload(Union(row.Select(pair => pair.First.Region.Bounds))), words));
        }

        Interlocked.Increment(ref _pagesRecognized);
        return new PageRecognition(
            string.Join('\n', lines.Select(l => l.Text)),
            TextLine.LetterWeighted(read.Select(pair => (pair.Second.Text, pair.Second.Confidence))),
            prepared.Frame.Rotation,
            prepared.Frame.Deskew,
            "neural",
            OcrEngines.Neural,
            LineBlocks.Group(lines),
            prepared.Stages.Seconds);
    }

    internal RecognitionBatcher Batcher => _batcher;

    private InferenceSession OpenSession(string path, SessionOptions options)
    {
        var (model, fused) = OnnxGraphFusion.Rewrite(File.ReadAllBytes(path));
        PatternsFused += fused;
        return new InferenceSession(model, options);
    }

    internal sealed record PreparedPage(IReadOnlyList<LineCrop> Crops, PageFrame Frame, StageTimes Stages);

    internal PreparedPage Prepare(PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        var stages = new StageTimes();
        var widthScale = PageShape.IsNarrow(image.Width, image.Height, image.Resolution) ? _receiptLineWidthScale : 1;
        using var working = image.Copy();
        var frame = PageFrame.Upright(image.Width, image.Height);
        if (request.Known is { } known)
        {
            frame = frame with { Deskew = working.Straighten(known.Deskew), Rotation = known.Rotation };
            working.TurnCounterClockwise(known.Rotation);
            using var upright = PixelBridge.ToGray(working);
            return new PreparedPage(stages.Time("detection", () => Cut(upright, _detector.Detect(upright, working.Resolution), widthScale, cancellationToken)), frame, stages);
        }

        frame = frame with { Deskew = request.Preprocess != PreprocessMode.None ? stages.Time("deskew", working.Deskew) : 0.0 };
        var rotation = 0;
        var page = PixelBridge.ToGray(working);
        try
        {
            var regions = stages.Time("detection", () => _detector.Detect(page, working.Resolution));
            cancellationToken.ThrowIfCancellationRequested();
            if (request.AutoRotate)
            {
                var tall = regions.Count(r => r.Height > 1.5 * r.Width && r.Height > 24);
                var wide = regions.Count(r => r.Width > 1.5 * r.Height);
                if (tall >= 3 && tall > 2 * wide)
                {
                    // Lines run up or down the page: turn it a quarter clockwise, then let the classifier settle up or down.
                    working.TurnCounterClockwise(270);
                    rotation = 270;
                    (page, regions) = Redetect(working, page);
                }
            }

            var crops = Cut(page, regions, widthScale, cancellationToken);
            // A page is turned over only on the word of several lines: one line's vote misleads.
            if (request.AutoRotate && regions.Count >= 3 && _classifier.UpsideDownShare(crops) >= UpsideDownShare)
            {
                working.TurnCounterClockwise(180);
                rotation = (rotation + 180) % 360;
                (page, regions) = Redetect(working, page);
                crops = Cut(page, regions, widthScale, cancellationToken);
            }

            return new PreparedPage(crops, frame with { Rotation = rotation }, stages);
        }
        finally
        {
            page.Dispose();
        }
    }

    private static List<LineCrop> Cut(Mat page, IReadOnlyList<TextRegion> regions, double widthScale, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return regions.Select(region => LineCrop.Cut(page, region, widthScale)).ToList();
    }

    private (Mat Page, IReadOnlyList<TextRegion> Regions) Redetect(PageImage image, Mat previous)
    {
        previous.Dispose();
        var page = PixelBridge.ToGray(image);
        return (page, _detector.Detect(page, image.Resolution));
    }

    private static IEnumerable<TextWord> WordsOf(LineCrop crop, LineReading reading)
    {
        var corners = crop.Region.Corners;
        // The detector's region reaches past the writing (its boxes are expanded to be sure of
        // the whole line); a line lying across the page is narrowed to its inked rows. A crop laid
        // on its side keeps the region's extent.
        var across = crop.Region.Height < 1.5 * crop.Region.Width;
        var (above, below) = across ? (crop.Writing.Top / (float)LineCrop.Height, (crop.Writing.Bottom + 1) / (float)LineCrop.Height) : (0f, 1f);
        foreach (var word in reading.Words)
        {
            // Word spans are along the scaled crop; map them back onto the region's top and bottom edges.
            var from = (float)(word.Start / Math.Max(1, crop.Width));
            var to = (float)(Math.Min(crop.Width, word.End) / Math.Max(1, crop.Width));
            var (topFrom, topTo) = (Lerp(corners[0], corners[1], from), Lerp(corners[0], corners[1], to));
            var (bottomFrom, bottomTo) = (Lerp(corners[3], corners[2], from), Lerp(corners[3], corners[2], to));
            Point2f[] quad =
            [
                Lerp(topFrom, bottomFrom, above), Lerp(topTo, bottomTo, above),
                Lerp(topTo, bottomTo, below), Lerp(topFrom, bottomFrom, below),
            ];
            yield return new TextWord(word.Text, Math.Round(word.Confidence, 4), BoxOf(quad));
        }
    }

    private static Point2f Lerp(Point2f a, Point2f b, float t) => new(a.X + ((b.X - a.X) * t), a.Y + ((b.Y - a.Y) * t));

    private static Box BoxOf(Point2f[] quad) =>
        new((int)Math.Floor(quad.Min(p => p.X)), (int)Math.Floor(quad.Min(p => p.Y)), (int)Math.Ceiling(quad.Max(p => p.X)), (int)Math.Ceiling(quad.Max(p => p.Y)));

    private static Box Union(IEnumerable<Rect> rects) =>
        Box.Enclosing(rects.Select(r => new Box(r.Left, r.Top, r.Right, r.Bottom)));

    public void Dispose()
    {
        _batcher.Dispose();
        _detection.Dispose();
        _recognition.Dispose();
        _orientation.Dispose();
        _pageSlots.Dispose();
    }
}
