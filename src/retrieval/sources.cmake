# Sources of the retrieval module (part of radlite_core).
