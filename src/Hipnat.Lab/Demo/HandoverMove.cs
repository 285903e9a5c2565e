namespace Hipnat.Lab.Demo;

/// <summary>One break-before-make move of the handover demo and how the ping over hip0 felt it.</summary>
/// <param name="Number">1 for the first move.</param>
/// <param name="From">The NAT alice left.</param>
/// <param name="To">The NAT alice moved behind.</param>
/// <param name="Down">When the uplink went down (the switch port, before the outage).</param>
/// <param name="Up">When alice could reach her new gateway: the new uplink is up.</param>
/// <param name="Gap">From <paramref name="Up"/> to the first reply after it; null when none came.</param>
/// <param name="Lost">Requests without a reply between the last reply before <paramref name="Down"/> and the first after <paramref name="Up"/>.</param>
public sealed record HandoverMove(int Number, string From, string To, DateTimeOffset Down, DateTimeOffset Up, TimeSpan? Gap, int Lost);
