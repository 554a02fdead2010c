namespace Ocr.Pipeline.Pages;

/// <summary>
/// How an engine's working image was made from the page as uploaded (<see cref="Width"/> ×
/// <see cref="Height"/>): turned <see cref="Deskew"/> degrees counter-clockwise about its centre
/// (same size), then <see cref="Rotation"/> degrees counter-clockwise in quarter turns, then
/// scaled by <see cref="Scale"/>. Maps boxes found on the working image back onto the upload.
/// </summary>
public sealed record PageFrame(int Width, int Height, double Deskew = 0, int Rotation = 0, double Scale = 1)
{
    public static PageFrame Upright(int width, int height) => new(width, height);

    public PageFrame ScaledBy(double factor) => this with { Scale = Scale * factor };

    /// <summary>The box on the upload that encloses <paramref name="working"/>, clipped to the page.</summary>
    public Box ToUpload(Box working)
    {
        if (working.IsEmpty)
        {
            return working;
        }

        (double X, double Y)[] corners =
        [
            (working.X0, working.Y0), (working.X1, working.Y0), (working.X1, working.Y1), (working.X0, working.Y1),
        ];
        var mapped = corners.Select(c => ToUpload(c.X, c.Y)).ToArray();
        var box = new Box(
            (int)Math.Floor(mapped.Min(p => p.X)), (int)Math.Floor(mapped.Min(p => p.Y)),
            (int)Math.Ceiling(mapped.Max(p => p.X)), (int)Math.Ceiling(mapped.Max(p => p.Y)));
        return box.ClipTo(Width, Height);
    }

    public (double X, double Y) ToUpload(double x, double y)
    {
        x /= Scale;
        y /= Scale;
        // Undo the quarter turns: the working image is the straightened one turned clockwise by 360 - Rotation.
        (x, y) = ((360 - Rotation) % 360) switch
        {
            90 => (y, Height - x),
            180 => (Width - x, Height - y),
            270 => (Width - y, x),
            _ => (x, y),
        };
        if (Deskew == 0)
        {
            return (x, y);
        }

        // Undo OpenCV's counter-clockwise turn about the centre (the inverse of its rotation matrix).
        var radians = Deskew * Math.PI / 180;
        var (cos, sin) = (Math.Cos(radians), Math.Sin(radians));
        var (cx, cy) = (Width / 2.0, Height / 2.0);
        var (dx, dy) = (x - cx, y - cy);
        return (cx + (cos * dx) - (sin * dy), cy + (sin * dx) + (cos * dy));
    }

    public TextWord ToUpload(TextWord word) => word with { Box = ToUpload(word.Box) };

    public TextLine ToUpload(TextLine line) => line with { Box = ToUpload(line.Box), Words = line.Words.Select(ToUpload).ToList() };

    public TextBlock ToUpload(TextBlock block) => new(ToUpload(block.Box), block.Lines.Select(ToUpload).ToList());
}
