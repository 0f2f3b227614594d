"""The IKEv2 initiator state machine: IKE_SA_INIT, IKE_AUTH, INFORMATIONAL, CHILD SA keys."""
