namespace Hipnat.Lab;

/// <summary>
/// The counters of one iptables rule or chain policy, read with <c>iptables-save -c</c> (the same numbers as
/// <c>iptables -L -v -x -n</c>, in a form that parses reliably even for rules without a target).
/// </summary>
/// <param name="Table">filter, nat, mangle or raw.</param>
/// <param name="Chain">The chain.</param>
/// <param name="Index">1-based position in the chain; 0 for the chain's policy.</param>
/// <param name="Packets">Packets that matched.</param>
/// <param name="Bytes">Bytes that matched.</param>
/// <param name="Rule">The rule as iptables-save prints it after <c>-A CHAIN</c>, or <c>-P CHAIN POLICY</c>.</param>
/// <param name="Comment">The rule's <c>-m comment</c> text, if any.</param>
public sealed record IptablesRuleCounter(string Table, string Chain, int Index, long Packets, long Bytes, string Rule, string? Comment);
