namespace Hipnat.Crypto.Tests;

/// <summary>
/// Fixed ECDSA keys with their HOST_ID "Host Identity" field and HIT, computed outside .NET (shared, as a linked
/// file, with the Core and Runtime tests).
/// </summary>
/// <remarks>
/// <para>The keys were made with OpenSSL 3.0 and converted to PKCS#8 (what <c>hipnat keygen</c> writes):</para>
/// <code>
/// openssl ecparam -name prime256v1 -genkey -noout -out p256.sec1.pem &amp;&amp; openssl pkcs8 -topk8 -nocrypt -in p256.sec1.pem -out p256.pem
/// openssl ecparam -name secp384r1  -genkey -noout -out p384.sec1.pem &amp;&amp; openssl pkcs8 -topk8 -nocrypt -in p384.sec1.pem -out p384.pem
/// </code>
/// <para>The values below are the output of this Python 3.11 script, run as <c>python3 kat.py p256.pem 1 65</c> and
/// <c>python3 kat.py p384.pem 2 97</c>. The public point is taken from OpenSSL's SubjectPublicKeyInfo in the SEC 1
/// uncompressed form; the Host Identity is the 2-octet ECC Curve label (NIST P-256 = 1, P-384 = 2, RFC 7401 §5.2.9)
/// followed by the public key; the HIT is the ORCHIDv2 of RFC 7343 §2 with the HIP context ID of RFC 7401 §3.2 over
/// exactly that field, HIT suite ECDSA/SHA-384 (OGA ID 2, RFC 7401 §5.2.10: both ECDSA curves hash with SHA-384).</para>
/// <code>
/// import hashlib, subprocess, sys
/// key, curve, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])  # n: octets of the point, 65 (P-256) or 97 (P-384)
/// der = subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-conv_form", "uncompressed", "-outform", "DER"],
///                      capture_output=True, check=True).stdout
/// point = der[-n:]; assert point[0] == 0x04                     # SEC 1 uncompressed point 04 | x | y
/// ctx = bytes.fromhex("F0EFF02FBFF43D0FE7930C3C6E6174EA")       # RFC 7401 §3.2 context ID
/// def hit(hi):                                                  # RFC 7343 §2, HIT suite ECDSA/SHA-384 (OGA ID 2)
///     mid = hashlib.sha384(ctx + hi).digest()[18:30]           # Encode_96: middle 96 bits of 384
///     h = bytes([0x20, 0x01, 0x00, 0x20 | 2]) + mid
///     return ":".join(h[i:i + 2].hex() for i in range(0, 16, 2))
/// hi = curve.to_bytes(2, "big") + point                          # ECC Curve | 04 | x | y
/// old = curve.to_bytes(2, "big") + point[1:]                     # ECC Curve | x | y
/// print("HI     ", hi.hex()); print("HIT    ", hit(hi)); print("OLD HIT", hit(old))
/// </code>
/// <para>The same HITs come out of coreutils alone, e.g. for P-256 (cut -c37-60 is octets 18..29 of the digest):</para>
/// <code>
/// hi=0001$(openssl ec -in p256.pem -pubout -conv_form uncompressed -outform DER | tail -c 65 | xxd -p | tr -d '\n')
/// printf '%s' "F0EFF02FBFF43D0FE7930C3C6E6174EA$hi" | xxd -r -p | sha384sum | cut -c37-60   # 65833acfba7b7f50818d328e
/// </code>
/// <para>The HOST_ID parameters (RFC 7401 §5.2.9, no Domain Identifier) around the Host Identities were built by hand
/// from the field layout: Type 705 (02c1), Length 6 + HI Length, HI Length, DI-Type/DI Length 0 (0000), Algorithm
/// ECDSA 7 (0007), the Host Identity, then padding to a multiple of 8 octets (§5.2.1). P-256: HI Length 67 (0043),
/// Length 73 (0049), 3 octets of padding; P-384: HI Length 99 (0063), Length 105 (0069), 3 octets of padding.</para>
/// </remarks>
internal static class EcdsaKnownAnswers
{
    /// <summary>The P-256 key (private scalar d = acf3081dc86dcfb73cad42dd18f29665e65f608180b8012068d728919a74524e).</summary>
    public const string P256Pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrPMIHchtz7c8rULd
        GPKWZeZfYIGAuAEgaNcokZp0Uk6hRANCAARWwkoW5Guc43CABqXhVES2A9S+OiHu
        AyGDxyvwTWitrsrg41FGiNUFLGuTqXf+wypz9q8cgGo9OWNeMJIwoIId
        -----END PRIVATE KEY-----

        """;

    /// <summary>ECC Curve 1 | 04 | x | y.</summary>
    public const string P256HostIdentity =
        "0001" + "04"
        + "56c24a16e46b9ce3708006a5e15444b603d4be3a21ee032183c72bf04d68adae"
        + "cae0e3514688d5052c6b93a977fec32a73f6af1c806a3d39635e309230a0821d";

    public const string P256Hit = "2001:0022:6583:3acf:ba7b:7f50:818d:328e";

    /// <summary>The HIT over ECC Curve 1 | x | y, as hipnat releases that left out the 0x04 octet computed it.</summary>
    public const string P256HitBefore = "2001:0022:ae2b:f305:146a:f9e6:0cf7:4628";

    /// <summary>The whole HOST_ID parameter (TLV with padding) carrying <see cref="P256HostIdentity"/>.</summary>
    public const string P256HostIdParameter =
        "02c1" + "0049" + "0043" + "0000" + "0007" + P256HostIdentity + "000000";

    /// <summary>
    /// The P-384 key (private scalar d = e9e04cbd79b0ea5683993c21ea4b42e87c2723e7790000959aa4a0d6460c20c6
    /// 1e1a8c1414c8c8c354050259035dc742, one number over two lines).
    /// </summary>
    public const string P384Pem = """
        -----BEGIN PRIVATE KEY-----
        MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDp4Ey9ebDqVoOZPCHq
        S0LofCcj53kAAJWapKDWRgwgxh4ajBQUyMjDVAUCWQNdx0KhZANiAATYl9DnU+R+
        L46ipZepUTitMx2W6LSMTTBbewi/JDiTM9IhICyFFeJlZKW7iRDkMHWeRnVaZaz4
        hD94GuJP49kJLXhb48jTmI1jPnBJi7+0Sb5Sl9kq7bWOGpeTaVGkqBE=
        -----END PRIVATE KEY-----

        """;

    /// <summary>ECC Curve 2 | 04 | x | y.</summary>
    public const string P384HostIdentity =
        "0002" + "04"
        + "d897d0e753e47e2f8ea2a597a95138ad331d96e8b48c4d305b7b08bf24389333d221202c8515e26564a5bb8910e43075"
        + "9e46755a65acf8843f781ae24fe3d9092d785be3c8d3988d633e70498bbfb449be5297d92aedb58e1a97936951a4a811";

    public const string P384Hit = "2001:0022:dffd:5de8:1f5e:edc4:e774:71f5";

    /// <summary>The HIT over ECC Curve 2 | x | y.</summary>
    public const string P384HitBefore = "2001:0022:489f:6b6e:3511:9002:6339:bf60";

    /// <summary>The whole HOST_ID parameter (TLV with padding) carrying <see cref="P384HostIdentity"/>.</summary>
    public const string P384HostIdParameter =
        "02c1" + "0069" + "0063" + "0000" + "0007" + P384HostIdentity + "000000";
}
