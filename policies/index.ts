// understudy's CrossGuard policy pack: `pulumi preview --policy-pack policies`. Every policy is
// mandatory by default; a policy config file sets levels and limits, e.g.
// {"canary-step": "advisory", "shadow-budget": {"maxShadowsTotal": 8}}.
import * as pulumi from "@pulumi/pulumi";
import { PolicyPack } from "@pulumi/policy";
import { stackIntent } from "./intent";
import { policies } from "./pack";

new PolicyPack("understudy", { policies: policies(() => stackIntent(pulumi.runtime.allConfig())) });
