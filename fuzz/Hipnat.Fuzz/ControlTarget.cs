using System.Text.Json;
using Hipnat.Runtime.Control;

namespace Hipnat.Fuzz;

/// <summary>
/// control: what the control socket does with the octets a client sends: split into lines at '\n' (a line over
/// <see cref="ControlServer.MaxLineLength"/> ends the connection), each read with <see cref="ControlRequestReader"/>,
/// dispatched to a <see cref="FakeControlHandler"/> (the daemon's argument checks), and the answer serialized.
/// </summary>
public sealed class ControlTarget : IFuzzTarget
{
    private readonly FakeControlHandler _handler = new();

    public string Name => "control";

    public void Run(ReadOnlySpan<byte> input)
    {
        while (!input.IsEmpty)
        {
            int newline = input.IndexOf((byte)'\n');
            var line = newline >= 0 ? input[..newline] : input;
            input = newline >= 0 ? input[(newline + 1)..] : [];
            if (line.Length > ControlServer.MaxLineLength)
            {
                return;
            }

            var response = ControlRequestReader.TryRead(line, out var request, out var error)
                ? _handler.HandleAsync(request, CancellationToken.None).GetAwaiter().GetResult()
                : ControlResponse.Failure(error);
            _ = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Control();
}
