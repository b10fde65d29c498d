// Rule public-tls: no load balancer or gateway reachable from the internet speaks plain HTTP
// (a listener that only redirects to HTTPS is fine).
import { Facts } from "../facts";
import { Violation } from "../model";

export const TLS = "public-tls";

export function publicTls(f: Facts): Violation[] {
  return f.entryPoints
    .filter((e) => e.public && !e.tls)
    .map((e) => ({
      rule: TLS,
      resource: e.r,
      problem: "is reachable from the internet over plain HTTP",
      fix:
        e.platform === "aws"
          ? "set understudy:aws.certificateArn (HTTPS listener, HTTP redirects) or understudy:aws.public: false"
          : "set understudy:kubernetes.gateway.tlsSecretName (HTTPS listener) or gateway.public: false",
    }));
}
