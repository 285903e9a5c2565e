using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// Fast import of untrusted EC public points, and ECDH derivation, through the system's OpenSSL 3 libcrypto — the
/// library the BCL itself uses on Linux.
/// </summary>
/// <remarks>
/// <para>
/// The BCL's import (<c>ECDsa.Create(ECParameters)</c>, <c>ECDiffieHellman.Create(ECParameters)</c>,
/// <c>ImportSubjectPublicKeyInfo</c>) ends in OpenSSL's EC_KEY_check_key, and the BCL's ECDH derivation calls
/// EVP_PKEY_derive_set_peer, which runs EVP_PKEY_public_check: both include the order check nQ = O, a full scalar
/// multiplication that costs as much as the derivation itself. For the cofactor-1 curves hipnat uses that check is
/// redundant once the point is known to be on the curve (see <see cref="EcDomain"/>).
/// </para>
/// <para>
/// Here a peer key is made by duplicating a parameters-only template EVP_PKEY of the curve and setting the encoded
/// point (EVP_PKEY_set1_encoded_public_key, which decodes through EC_POINT_oct2point: coordinates below p and the
/// point on the curve, or failure), and the ECDH peer is set with EVP_PKEY_derive_set_peer_ex(validate_peer = 0).
/// Callers validate the point in managed code first (<see cref="EcDomain.IsValidPublicPoint"/>), so the result does
/// not depend on what the native decoder checks.
/// </para>
/// <para>
/// Only used on Linux, when libcrypto.so.3 loads, exports every function used, and reports the same version as the
/// OpenSSL the BCL has loaded (so EVP_PKEY handles can be passed between the two), and the environment variable
/// HIPNAT_NO_NATIVE_EC is not "1". Otherwise <see cref="IsAvailable"/> is false and callers take the BCL path.
/// </para>
/// </remarks>
internal static unsafe class OpenSslEc
{
    // EVP_PKEY_KEY_PARAMETERS = OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS.
    private const int SelectKeyParameters = 0x04 | 0x80;
    private const uint OsslParamUtf8String = 4;

    private static readonly Api? Native = Api.TryLoad();
    private static readonly nint[] Templates = new nint[EcDomain.Count];

    /// <summary>True when the native path can be used (Linux, OpenSSL 3 shared with the BCL).</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool IsAvailable => OperatingSystem.IsLinux() && Native is not null;

    /// <summary>
    /// Makes an EVP_PKEY holding the public point (x, y) of <paramref name="domain"/>, each coordinate exactly
    /// <see cref="EcDomain.FieldLength"/> octets; null when the native path is unavailable or refuses the point.
    /// The caller has already validated the point.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static SafeEvpPKeyHandle? TryImportPublicKey(EcDomain domain, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        Api? api = Native;
        int n = domain.FieldLength;
        if (api is null || x.Length != n || y.Length != n)
        {
            return null;
        }

        nint template = GetTemplate(api, domain);
        if (template == 0)
        {
            return null;
        }

        // SEC 1 §2.3.3 uncompressed encoding: 0x04 | x | y.
        Span<byte> point = stackalloc byte[1 + (2 * n)];
        point[0] = 0x04;
        x.CopyTo(point[1..]);
        y.CopyTo(point[(1 + n)..]);

        nint pkey = api.EvpPKeyDup(template);
        if (pkey == 0)
        {
            api.ErrClearError();
            return null;
        }

        int ok;
        fixed (byte* p = point)
        {
            ok = api.EvpPKeySet1EncodedPublicKey(pkey, p, (nuint)point.Length);
        }

        if (ok != 1)
        {
            api.EvpPKeyFree(pkey);
            api.ErrClearError();
            return null;
        }

        return new SafeEvpPKeyHandle(pkey, ownsHandle: true);
    }

    /// <summary>
    /// ECDH: the x coordinate of d·Q into <paramref name="secret"/> (exactly the field length), without OpenSSL's
    /// peer public-key check (the peer point has been validated by the caller). False on any native failure.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static bool TryDerive(SafeEvpPKeyHandle privateKey, SafeEvpPKeyHandle peerKey, Span<byte> secret)
    {
        Api? api = Native;
        if (api is null)
        {
            return false;
        }

        bool privateRef = false;
        bool peerRef = false;
        try
        {
            privateKey.DangerousAddRef(ref privateRef);
            peerKey.DangerousAddRef(ref peerRef);

            nint ctx = api.EvpPKeyCtxNew(privateKey.DangerousGetHandle(), 0);
            if (ctx == 0)
            {
                api.ErrClearError();
                return false;
            }

            try
            {
                nuint length = (nuint)secret.Length;
                int ok;
                fixed (byte* s = secret)
                {
                    ok = api.EvpPKeyDeriveInit(ctx) == 1
                        && api.EvpPKeyDeriveSetPeerEx(ctx, peerKey.DangerousGetHandle(), 0) == 1
                        && api.EvpPKeyDerive(ctx, s, &length) == 1 ? 1 : 0;
                }

                if (ok != 1 || length != (nuint)secret.Length)
                {
                    api.ErrClearError();
                    CryptographicOperations.ZeroMemory(secret);
                    return false;
                }

                return true;
            }
            finally
            {
                api.EvpPKeyCtxFree(ctx);
            }
        }
        finally
        {
            if (peerRef)
            {
                peerKey.DangerousRelease();
            }

            if (privateRef)
            {
                privateKey.DangerousRelease();
            }
        }
    }

    /// <summary>A parameters-only EVP_PKEY of the curve, made once and kept for the life of the process.</summary>
    private static nint GetTemplate(Api api, EcDomain domain)
    {
        nint template = Volatile.Read(ref Templates[domain.Index]);
        if (template != 0)
        {
            return template;
        }

        template = CreateTemplate(api, domain.OpenSslGroupName);
        if (template == 0)
        {
            return 0;
        }

        nint existing = Interlocked.CompareExchange(ref Templates[domain.Index], template, 0);
        if (existing != 0)
        {
            api.EvpPKeyFree(template);
            return existing;
        }

        return template;
    }

    private static nint CreateTemplate(Api api, string groupName)
    {
        ReadOnlySpan<byte> keyType = "EC\0"u8;
        ReadOnlySpan<byte> paramName = "group\0"u8;
        Span<byte> group = stackalloc byte[groupName.Length + 1];
        for (int i = 0; i < groupName.Length; i++)
        {
            group[i] = (byte)groupName[i];
        }

        group[^1] = 0;

        fixed (byte* kt = keyType)
        fixed (byte* pn = paramName)
        fixed (byte* g = group)
        {
            nint ctx = api.EvpPKeyCtxNewFromName(0, kt, null);
            if (ctx == 0)
            {
                api.ErrClearError();
                return 0;
            }

            try
            {
                OsslParam* parameters = stackalloc OsslParam[2];
                parameters[0] = new OsslParam
                {
                    Key = pn,
                    DataType = OsslParamUtf8String,
                    Data = g,
                    DataSize = (nuint)groupName.Length,
                    ReturnSize = nuint.MaxValue, // OSSL_PARAM_UNMODIFIED
                };
                parameters[1] = default;

                nint pkey = 0;
                if (api.EvpPKeyFromdataInit(ctx) != 1 || api.EvpPKeyFromdata(ctx, &pkey, SelectKeyParameters, parameters) != 1)
                {
                    if (pkey != 0)
                    {
                        api.EvpPKeyFree(pkey);
                    }

                    api.ErrClearError();
                    return 0;
                }

                return pkey;
            }
            finally
            {
                api.EvpPKeyCtxFree(ctx);
            }
        }
    }

    /// <summary>OSSL_PARAM (openssl/core.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct OsslParam
    {
        public byte* Key;
        public uint DataType;
        public void* Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    /// <summary>The libcrypto entry points, resolved once; null when any is missing.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<void> ErrClearError;
        public delegate* unmanaged<nint, byte*, byte*, nint> EvpPKeyCtxNewFromName;
        public delegate* unmanaged<nint, nint, nint> EvpPKeyCtxNew;
        public delegate* unmanaged<nint, void> EvpPKeyCtxFree;
        public delegate* unmanaged<nint, int> EvpPKeyFromdataInit;
        public delegate* unmanaged<nint, nint*, int, OsslParam*, int> EvpPKeyFromdata;
        public delegate* unmanaged<nint, nint> EvpPKeyDup;
        public delegate* unmanaged<nint, byte*, nuint, int> EvpPKeySet1EncodedPublicKey;
        public delegate* unmanaged<nint, void> EvpPKeyFree;
        public delegate* unmanaged<nint, int> EvpPKeyDeriveInit;
        public delegate* unmanaged<nint, nint, int, int> EvpPKeyDeriveSetPeerEx;
        public delegate* unmanaged<nint, byte*, nuint*, int> EvpPKeyDerive;

        public static Api? TryLoad()
        {
            if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("HIPNAT_NO_NATIVE_EC") is "1")
            {
                return null;
            }

            try
            {
                // The OpenSSL the BCL uses (loading it here also makes sure it is loaded before ours).
                long bclVersion = SafeEvpPKeyHandle.OpenSslVersion;
                if (bclVersion < 0x3000_0000L || !NativeLibrary.TryLoad("libcrypto.so.3", out nint lib))
                {
                    return null;
                }

                if (!NativeLibrary.TryGetExport(lib, "OpenSSL_version_num", out nint versionFn)
                    || (long)((delegate* unmanaged<nuint>)versionFn)() != bclVersion)
                {
                    NativeLibrary.Free(lib);
                    return null;
                }

                var api = new Api();
                bool all =
                    Resolve(lib, "ERR_clear_error", out nint errClear)
                    & Resolve(lib, "EVP_PKEY_CTX_new_from_name", out nint ctxNewFromName)
                    & Resolve(lib, "EVP_PKEY_CTX_new", out nint ctxNew)
                    & Resolve(lib, "EVP_PKEY_CTX_free", out nint ctxFree)
                    & Resolve(lib, "EVP_PKEY_fromdata_init", out nint fromdataInit)
                    & Resolve(lib, "EVP_PKEY_fromdata", out nint fromdata)
                    & Resolve(lib, "EVP_PKEY_dup", out nint dup)
                    & Resolve(lib, "EVP_PKEY_set1_encoded_public_key", out nint setEncoded)
                    & Resolve(lib, "EVP_PKEY_free", out nint free)
                    & Resolve(lib, "EVP_PKEY_derive_init", out nint deriveInit)
                    & Resolve(lib, "EVP_PKEY_derive_set_peer_ex", out nint setPeerEx)
                    & Resolve(lib, "EVP_PKEY_derive", out nint derive);
                if (!all)
                {
                    NativeLibrary.Free(lib);
                    return null;
                }

                api.ErrClearError = (delegate* unmanaged<void>)errClear;
                api.EvpPKeyCtxNewFromName = (delegate* unmanaged<nint, byte*, byte*, nint>)ctxNewFromName;
                api.EvpPKeyCtxNew = (delegate* unmanaged<nint, nint, nint>)ctxNew;
                api.EvpPKeyCtxFree = (delegate* unmanaged<nint, void>)ctxFree;
                api.EvpPKeyFromdataInit = (delegate* unmanaged<nint, int>)fromdataInit;
                api.EvpPKeyFromdata = (delegate* unmanaged<nint, nint*, int, OsslParam*, int>)fromdata;
                api.EvpPKeyDup = (delegate* unmanaged<nint, nint>)dup;
                api.EvpPKeySet1EncodedPublicKey = (delegate* unmanaged<nint, byte*, nuint, int>)setEncoded;
                api.EvpPKeyFree = (delegate* unmanaged<nint, void>)free;
                api.EvpPKeyDeriveInit = (delegate* unmanaged<nint, int>)deriveInit;
                api.EvpPKeyDeriveSetPeerEx = (delegate* unmanaged<nint, nint, int, int>)setPeerEx;
                api.EvpPKeyDerive = (delegate* unmanaged<nint, byte*, nuint*, int>)derive;
                return api;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException
                or PlatformNotSupportedException or CryptographicException or TypeInitializationException)
            {
                return null;
            }
        }

        private static bool Resolve(nint lib, string name, out nint address) =>
            NativeLibrary.TryGetExport(lib, name, out address) && address != 0;
    }
}
