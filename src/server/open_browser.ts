// Opens a URL in the desktop's browser: the platform's own opener, started
// and left to run. Deno.* lives here.

/** The opener command for this platform and its arguments for `url`. */
export function openerCommand(url: string, os: string = Deno.build.os): [string, string[]] {
  if (os === "darwin") return ["open", [url]];
  if (os === "windows") return ["cmd", ["/c", "start", "", url]];
  return ["xdg-open", [url]];
}

/**
 * Asks the desktop to open `url`; resolves to null when the opener started
 * and exited cleanly, else to a one-line reason (no opener installed, no
 * desktop), so the caller can say to open the address by hand.
 */
export async function openBrowser(url: string): Promise<string | null> {
  const [command, args] = openerCommand(url);
  try {
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const status = await child.status;
    return status.success ? null : `${command} exited with code ${status.code}`;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? `${command} is not installed` : (e as Error).message;
  }
}
