// A runner that takes the stack's lease and then hangs until killed: the test kills it with SIGKILL
// (no release, no more renewals) to prove a dead holder's lease is taken over once it has run out.
//   node leaseHolder.js '<ApiAccess JSON>' <lease> <holder> <durationSec>
import { acquireLease, ApiAccess } from "../../../automation/runner/lease";

const [access, name, holder, duration] = process.argv.slice(2);
acquireLease({ access: JSON.parse(access) as ApiAccess, name, holder, durationSec: Number(duration) })
  .then(() => {
    process.stdout.write("held\n");
    setInterval(() => undefined, 1000);
  })
  .catch((e: unknown) => {
    process.stdout.write(`failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
