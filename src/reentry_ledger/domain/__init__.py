"""The domain core: the client aggregate, its events, codes and errors. No I/O here."""
