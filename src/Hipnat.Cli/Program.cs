using Hipnat.Cli;

return await HipnatCli.RunAsync(args);
