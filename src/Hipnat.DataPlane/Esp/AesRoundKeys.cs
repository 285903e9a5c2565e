using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hipnat.DataPlane.Esp;

/// <summary>Up to 15 AES round keys (AES-256 has 14 rounds), stored inline in the owning cipher object.</summary>
[InlineArray(15)]
internal struct AesRoundKeys
{
    private Vector128<byte> _element0;
}
