using Hipnat.Bench;

return args.Length > 0 ? args[0] switch
{
    "bex" => BaseExchangeBench.Run(args[1..]),
    "scale" => ScaleBench.Run(args[1..]),
    "relay-scale" => RelayScaleBench.Run(args[1..]),
    _ => Usage(),
} : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: Hipnat.Bench bex [--seconds S] | scale [--initiators N] [--responders M]");
    return 2;
}
