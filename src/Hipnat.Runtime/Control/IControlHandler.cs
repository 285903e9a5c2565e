namespace Hipnat.Runtime.Control;

/// <summary>Answers control requests (the daemon). Called on thread-pool threads; implementations marshal to their driver.</summary>
public interface IControlHandler
{
    Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken);
}
