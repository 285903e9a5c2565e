namespace Hipnat.Simulator.Tests;

/// <summary>A datagram a <see cref="RecordingNode"/> received.</summary>
internal readonly record struct ReceivedDatagram(TimeSpan Time, SimEndpoint Local, SimEndpoint Remote, byte[] Payload);
