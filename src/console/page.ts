/**
 * The console's page (`GET /`): a shell that loads the compiled browser code from
 * `/console/assets/`. Its Content-Security-Policy allows scripts from the server only and no inline
 * script, so even a record that slipped past the text-only rendering could not run code.
 */

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The modules of the first views (catalog, records), fetched at once with the page rather than one
 * import level after another; the other views' modules are loaded when first opened.
 */
const FIRST_VIEW_MODULES = ["main.js", "api.js", "dom.js", "catalog.js", "records.js", "filters.js"];

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chromalite console</title>
<link rel="icon" href="data:,">
${FIRST_VIEW_MODULES.map((m) => `<link rel="modulepreload" href="/console/assets/${m}">`).join("\n")}
<style>
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #f6f7f9; font-size: 14px; }
  body { margin: 0; }
  header { background: #20232a; color: #fff; padding: .5rem 1rem; display: flex; gap: 1rem; align-items: center; }
  header .brand { font-weight: bold; font-size: 1.1rem; } header .muted { color: #aab; }
  header .spacer { flex: 1; } header a { color: #9cf; }
  main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
  nav.tabs { display: flex; gap: .25rem; margin: .5rem 0 1rem; border-bottom: 1px solid #ccd; }
  nav.tabs a { padding: .4rem .8rem; text-decoration: none; color: #333; border: 1px solid transparent; border-bottom: none; border-radius: 4px 4px 0 0; }
  nav.tabs a.active { background: #fff; border-color: #ccd; font-weight: 600; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { border: 1px solid #dde; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #eef0f4; font-weight: 600; } tr.clickable:hover { background: #f0f6ff; cursor: pointer; }
  .mono, pre, textarea, code { font-family: ui-monospace, monospace; font-size: .85rem; }
  pre { background: #fff; border: 1px solid #dde; padding: .6rem; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: .3rem 0; }
  textarea { width: 100%; box-sizing: border-box; min-height: 3.2rem; }
  input[type=text], input[type=password], input[type=number], select { padding: .3rem; }
  button { padding: .3rem .8rem; cursor: pointer; } button.danger { color: #fff; background: #c53030; border: 1px solid #a00; }
  button:disabled { opacity: .5; cursor: default; }
  .row { display: flex; gap: 1rem; flex-wrap: wrap; align-items: flex-start; } .row > .grow { flex: 1; min-width: 280px; }
  .card { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: .8rem; margin: .5rem 0; }
  .error { color: #b00020; white-space: pre-wrap; } .ok { color: #17702e; } .muted { color: #667; }
  .truncate { max-width: 480px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  label { margin-right: .8rem; } h2 { margin: .5rem 0; } h3 { margin: .8rem 0 .3rem; }
  dialog { border: 1px solid #99a; border-radius: 6px; min-width: 380px; }
  .login { max-width: 420px; margin: 4rem auto; }
  .tooltip { position: absolute; pointer-events: none; background: #20232aee; color: #fff; padding: .4rem .6rem; border-radius: 4px; max-width: 360px; font-size: .8rem; white-space: pre-wrap; }
  .legend span { display: inline-block; margin-right: .8rem; } .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; border-radius: 2px; }
  .plan { font-size: 1.05rem; font-weight: 600; }
</style>
</head>
<body>
<div id="app"><p class="muted" style="padding:1rem">Loading the console…</p></div>
<script type="module" src="/console/assets/main.js"></script>
</body>
</html>
`;
