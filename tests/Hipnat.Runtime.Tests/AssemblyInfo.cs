// The runtime's tests use Unix sockets, file modes, signals and raw sockets: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
