# Sources of the io module (part of radlite_core).
