//! alioss-emulator: a local STS + OSS server.
