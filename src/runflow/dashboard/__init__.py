"""The web dashboard (DESIGN §19): server-rendered pages over the same API a program uses."""
