// The control channel as text: filled in by the protocol work.
