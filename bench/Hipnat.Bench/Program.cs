using Hipnat.Bench;

return args.Length > 0 ? args[0] switch
{
    "bex" => BaseExchangeBench.Run(args[1..]),
    "scale" => ScaleBench.Run(args[1..]),
    "relay-scale" => RelayScaleBench.Run(args[1..]),
    "relay-throughput" => RelayThroughputBench.Run(args[1..]),
    "ice-matrix" => IceMatrixBench.Run(args[1..]),
    "ice-time" => IceTimeBench.Run(args[1..]),
    "ice-trace" => IceMatrixBench.Trace(args[1..]),
    "mobility-matrix" or "mobility-trace" => MobilityMatrixBench.Dispatch(args),
    "flood" => FloodBench.Run(args[1..]),
    "soak" => SoakBench.Run(args[1..]),
    "esp-crypto" => EspCryptoBench.Run(args[1..]),
    _ => Usage(),
} : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: Hipnat.Bench bex [--exchanges N] | scale [--initiators N] [--responders M] | relay-scale [--clients N] | relay-throughput [--seconds S] [--hipnat DLL] | ice-matrix [--seeds N] [--out FILE] [--bare-only] | ice-time [--seeds N] [--trace SEED] | ice-trace A B SEED [SECONDS] | flood --target ADDR --hit HIT [--mode i1|i2-puzzle|i2-replay|mix] [--seconds S] | soak [HOSTS] [HOURS] [SEED] | esp-crypto [--rounds N] [--kib K] [--wall]");
    return 2;
}
