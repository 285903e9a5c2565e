namespace Hipnat.Fuzz;

/// <summary>An exception that escaped a harness, with the input that caused it.</summary>
public sealed record SmokeCrash(byte[] Input, Exception Exception)
{
    /// <summary>Exception type and throwing frame: crashes with the same signature are one bug.</summary>
    public string Signature
    {
        get
        {
            string frame = Exception.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "?";
            return $"{Exception.GetType().Name} {frame}";
        }
    }
}
