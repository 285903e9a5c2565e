namespace Hipnat.Runtime.Transports;

/// <summary>An address, port and scope packed into integers, so looking up a received address allocates nothing.</summary>
internal readonly record struct RawAddressKey(ulong High, ulong Low, ulong Extra);
