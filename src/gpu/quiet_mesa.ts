// A Deno edge used by the entry points (cli.ts and mod.ts's functions), never
// by the engine: Mesa's EGL prints "XDG_RUNTIME_DIR is invalid or not set in
// the environment" on stderr each time an adapter is opened where the
// variable is unset (headless machines, CI, containers), so a private folder
// is named there before the first adapter. It only acts with the permissions
// it needs already granted: it never prompts and never throws.

/**
 * Points `XDG_RUNTIME_DIR` at a private folder (`/tmp/tex-synth-runtime-UID`,
 * mode 0700) when it is unset on Linux, so opening a WebGPU adapter through
 * Mesa prints nothing. Does nothing elsewhere, when the variable is set, or
 * without the env, sys (uid) and write permissions it needs.
 */
export function quietMesa(): void {
  try {
    if (Deno.build.os !== "linux") return;
    const granted = (d: Deno.PermissionDescriptor): boolean =>
      Deno.permissions.querySync(d).state === "granted";
    if (!granted({ name: "env", variable: "XDG_RUNTIME_DIR" })) return;
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const uid = granted({ name: "sys", kind: "uid" }) ? Deno.uid() : null;
    const dir = `/tmp/tex-synth-runtime-${uid ?? "user"}`;
    if (!granted({ name: "write", path: dir })) return;
    Deno.mkdirSync(dir, { mode: 0o700, recursive: true });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // Only a warning on stderr is at stake; Mesa works without the folder.
  }
}
