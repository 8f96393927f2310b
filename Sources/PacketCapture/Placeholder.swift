// libpcap reading: filled in by the capture work.
