namespace Hipnat.Core.Registration;

public enum RegistrationState
{
    Requested,
    Granted,
    Failed,
    Expired,
    Cancelled,
}
