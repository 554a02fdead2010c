using System.Threading.Channels;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// The node's shared inference stage: a fixed set of worker threads, each owning one
/// Tesseract engine, fed from one FIFO queue. Jobs keep at most a couple of pages queued
/// each, so the FIFO interleaves pages of concurrent jobs and a short job is never stuck
/// behind a long one.
/// </summary>
public sealed class TesseractPool : IPageEngine, IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = false });
    private readonly List<Thread> _workers = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _dataPath;
    private readonly string _language;
    private readonly OsdDetector _orientation;
    private int _started;
    private int _busy;
    private long _pagesRecognized;

    public TesseractPool(PipelineOptions options, string language = "eng")
    {
        _dataPath = options.TessdataPath;
        _language = language;
        _orientation = new OsdDetector(_dataPath);
        Size = options.ResolvedEngineCount;
        Calibration = options.TesseractCalibration;
    }

    public string Name => OcrEngines.Tesseract;

    public ConfidenceCalibration Calibration { get; }

    public Task<PageRecognition> ReadAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken) =>
        RecognizeAsync(image, request, cancellationToken);

    public int Size { get; }

    public int Busy => Volatile.Read(ref _busy);

    public int Queued => _queue.Reader.Count;

    public long PagesRecognized => Interlocked.Read(ref _pagesRecognized);

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public string ModelName => $"tesseract-{TesseractEngine.Version}-{_language}";

    /// <summary>Starts the workers and waits until every engine has loaded its model.</summary>
    public Task StartAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            var loaded = 0;
            for (var i = 0; i < Size; i++)
            {
                var thread = new Thread(() => Work(() =>
                {
                    if (Interlocked.Increment(ref loaded) == Size)
                    {
                        _ready.TrySetResult();
                    }
                }))
                {
                    IsBackground = true,
                    Name = $"tesseract-{i}",
                };
                _workers.Add(thread);
                thread.Start();
            }
        }

        return _ready.Task;
    }

    public Task<PageRecognition> RecognizeAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        _ = StartAsync();
        var item = new WorkItem(image, request, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(TesseractPool));
        }

        return item.Completion.Task;
    }

    private void Work(Action onLoaded)
    {
        TesseractEngine engine;
        try
        {
            engine = new TesseractEngine(_dataPath, _language, _orientation);
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            return;
        }

        onLoaded();
        using (engine)
        {
            while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                if (!_queue.Reader.TryRead(out var item))
                {
                    continue;
                }

                if (item.CancellationToken.IsCancellationRequested)
                {
                    item.Completion.TrySetCanceled(item.CancellationToken);
                    continue;
                }

                Interlocked.Increment(ref _busy);
                try
                {
                    var result = engine.Recognize(item.Image, item.Request, item.CancellationToken);
                    Interlocked.Increment(ref _pagesRecognized);
                    item.Completion.TrySetResult(result);
                }
                catch (OperationCanceledException)
                {
                    item.Completion.TrySetCanceled(item.CancellationToken);
                }
                catch (Exception e)
                {
                    item.Completion.TrySetException(e);
                }
                finally
                {
                    Interlocked.Decrement(ref _busy);
                }
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        foreach (var worker in _workers)
        {
            worker.Join(TimeSpan.FromSeconds(5));
        }

        _orientation.Dispose();
    }

    private sealed record WorkItem(PageImage Image, RecognitionRequest Request, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<PageRecognition> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
