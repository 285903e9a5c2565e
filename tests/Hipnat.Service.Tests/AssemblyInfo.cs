// hipnat runs on Linux only (TUN, netlink, Unix sockets).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
