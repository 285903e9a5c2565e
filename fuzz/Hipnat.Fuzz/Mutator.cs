namespace Hipnat.Fuzz;

/// <summary>
/// Seeded mutations of corpus inputs for the in-process smoke mode: bit flips, byte sets to boundary values,
/// truncations, insertions, deletions, duplicated runs and splices of two inputs.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x10, 0x20, 0x40];
    private readonly Random _random = new(seed);

    public byte[] Mutate(IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(corpus[_random.Next(corpus.Count)]);
        int rounds = 1 + _random.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            MutateOnce(data, corpus);
        }

        return [.. data];
    }

    private void MutateOnce(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        switch (_random.Next(9))
        {
            case 0 when data.Count > 0:
                {
                    int i = _random.Next(data.Count);
                    data[i] ^= (byte)(1 << _random.Next(8));
                    break;
                }

            case 1 when data.Count > 0:
                data[_random.Next(data.Count)] = Interesting[_random.Next(Interesting.Length)];
                break;

            case 2 when data.Count > 0:
                data[_random.Next(data.Count)] = (byte)_random.Next(256);
                break;

            case 3 when data.Count > 1:
                {
                    // A 16-bit field (length, type, port) set to a boundary value.
                    int i = _random.Next(data.Count - 1);
                    int v = _random.Next(5) switch { 0 => 0, 1 => 0xFFFF, 2 => data.Count, 3 => data.Count + 1 + _random.Next(8), _ => _random.Next(0x10000) };
                    data[i] = (byte)(v >> 8);
                    data[i + 1] = (byte)v;
                    break;
                }

            case 4 when data.Count > 0:
                {
                    int keep = _random.Next(data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    break;
                }

            case 5:
                {
                    int at = _random.Next(data.Count + 1);
                    int n = 1 + _random.Next(16);
                    for (int k = 0; k < n; k++)
                    {
                        data.Insert(at, (byte)_random.Next(256));
                    }

                    break;
                }

            case 6 when data.Count > 0:
                {
                    int at = _random.Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(16)));
                    break;
                }

            case 7 when data.Count > 0:
                {
                    int at = _random.Next(data.Count);
                    int n = Math.Min(data.Count - at, 1 + _random.Next(32));
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(at, n));
                    break;
                }

            case 8:
                {
                    var other = corpus[_random.Next(corpus.Count)];
                    int keep = _random.Next(data.Count + 1);
                    int from = _random.Next(other.Length + 1);
                    data.RemoveRange(keep, data.Count - keep);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }

            default:
                data.Add((byte)_random.Next(256));
                break;
        }
    }
}
