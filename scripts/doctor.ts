/**
 * `npm run doctor -- [options]`: checks a deployed Release Gate against its tenant, line by line (✔ ⚠ ✘),
 * each problem with its fix. Run after `azd up` and `npm run setup`, with the same values (flags, or the
 * environment `eval "$(azd env get-values)"` gives; `npm run doctor -- --help` lists them).
 *
 * Exit codes (its own, kept from before the shared command line): 0 all good, 1 warnings only, 2 a check failed
 * (a refused master key is the failed Function App line), 3 could not run (configuration, sign-in, or a bad
 * command line).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Command } from 'commander';
import {
  ExitError,
  action,
  defineCommand,
  processTerminal,
  runCommand,
  runMain,
  type Terminal,
} from '../admin/cli/cli';
import { addDoctorOptions, doctorOptionsFrom } from '../admin/doctor/doctor-options';
import { DoctorCannotRun, EXIT_CODES, exitCodeOf, formatReport, jsonReport } from '../admin/doctor/report';
import { runDoctor } from '../admin/doctor/run-doctor';
import { adminPrintApi } from '../admin/setup/admin-sign-in';

/** The admin's Azure sign-in (azd auth login, az login, …), loaded only when Key Vault is asked. */
function azureCredential(): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      return (await credential).getToken(scopes, options);
    },
  };
}

/** A vault on loopback is the sandbox's Key Vault stand-in, which cannot be named *.vault.azure.net. */
const isLoopback = (url: string | undefined) =>
  !!url && /^https:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//i.test(`${url}/`);

/** --json's answer when the checks could not run. */
const cannotRunJson = (detail: string, fix: string) =>
  JSON.stringify(
    { exitCode: EXIT_CODES.cannotRun, checks: [{ status: 'fail', name: 'Doctor', detail, fix }] },
    null,
    2,
  );

export function command(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): Command {
  const doctor = addDoctorOptions(
    defineCommand(
      'doctor',
      'Checks a deployed Release Gate against its tenant, with the fix for each problem.',
      terminal,
    ),
    env,
  );
  let jsonAsked = false;
  doctor.on('option:json', () => (jsonAsked = true));
  // The doctor's exit codes predate the shared ones: 2 is "a check failed", so a bad command line is 3 here.
  doctor.exitOverride((error) => {
    if (error.exitCode === 0) throw error;
    // With --json, stdout stays JSON whatever went wrong.
    if (jsonAsked)
      terminal.out(
        cannotRunJson(error.message.replace(/^error: /, ''), 'correct the command line: npm run doctor -- --help'),
      );
    throw new ExitError(`(run npm run doctor -- --help for usage)`, EXIT_CODES.cannotRun);
  });
  doctor.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  eval "$(azd env get-values)" && npm run doctor -- --function-key=<master key> --printers all',
      '  npm run doctor -- --json > doctor.json',
      '',
      'Exit codes:',
      '  0  all good',
      '  1  warnings only',
      '  2  a check failed',
      '  3  could not run: configuration missing, sign-in failed, or a bad command line',
    ].join('\n'),
  );
  return doctor.action(
    action(async () => {
      let json = doctor.opts<{ json?: boolean }>().json ?? false;
      try {
        const options = doctorOptionsFrom(doctor, env);
        json = options.json;
        // The device code prompt goes to stderr, so --json output stays parseable.
        // Signed in through the admin-tools app registration (delegated permissions only).
        const admin = adminPrintApi({ ...options, clientId: options.adminClientId }, (message) =>
          terminal.err(message),
        );
        const checks = await runDoctor(options, {
          admin,
          keyVaultCredential: azureCredential(),
          keyVaultClientOptions: isLoopback(options.keyVaultUri)
            ? { disableChallengeResourceVerification: true }
            : undefined,
        });
        const code = exitCodeOf(checks);
        terminal.out(json ? jsonReport(checks, code) : formatReport(checks).join('\n'));
        return code;
      } catch (error) {
        const cannotRun = error instanceof DoctorCannotRun;
        const message = error instanceof Error ? error.message : String(error);
        const fix = cannotRun ? error.fix : 'run the doctor again; if it repeats, report this message';
        if (json) terminal.out(cannotRunJson(message, fix));
        else terminal.err(`✘ Could not run the checks: ${message}\n  fix: ${fix}`);
        return EXIT_CODES.cannotRun;
      }
    }),
  );
}

/** The doctor in-process, as `npm run doctor -- …` runs it: its exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  return runCommand(command(terminal, env), argv, terminal);
}

if (require.main === module) runMain((terminal) => command(terminal));
