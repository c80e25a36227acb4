#!/usr/bin/env python3
"""Calls a metronode node's federation port with Python grpcio (gRPC-core over BoringSSL, the
TLS stack of gRPC's C++, Ruby, C#, PHP and Objective-C libraries): mutual TLS with a member's
PEM key and certificate, the server's self-signed certificate as the root it trusts, and the
name in that certificate as the target name. Code generated from proto/ by grpcio-tools.

Usage: federation_client.py SITE ADDR SERVER_CERT CLIENT_KEY CLIENT_CERT SERVER_NAME
(SITE: what grpcio.sh prints, grpcio and the generated code under it.)
Prints one JSON line: {"ok": true, "origins": [[id, size], ...]} or {"ok": false, "code": ...,
"details": ...}.
"""
import json
import sys


def main(site, addr, server_cert, client_key, client_cert, server_name):
    sys.path[:0] = [site, f"{site}/generated"]
    import grpc
    from metronode.v1 import federation_pb2, federation_pb2_grpc

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    # "-" for the key and certificate: a client without a certificate.
    mine = {} if client_key == "-" else {
        "private_key": read(client_key),
        "certificate_chain": read(client_cert),
    }
    credentials = grpc.ssl_channel_credentials(root_certificates=read(server_cert), **mine)
    options = [("grpc.ssl_target_name_override", server_name)]
    with grpc.secure_channel(addr, credentials, options=options) as channel:
        stub = federation_pb2_grpc.FederationStub(channel)
        try:
            reply = stub.ListOrigins(federation_pb2.ListOriginsRequest(), timeout=10)
        except grpc.RpcError as e:
            print(json.dumps({"ok": False, "code": e.code().name, "details": e.details()}))
            return
        origins = [[o.origin, o.size] for o in reply.origins]
        print(json.dumps({"ok": True, "origins": origins}))


if __name__ == "__main__":
    main(*sys.argv[1:7])
