"""The credential-free engine: runs __main__.py under the SDK's mock monitor and the policy pack over gRPC."""
