// What the page's renderers share: escaping, the form buttons, times and the style sheet.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function time(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace('T', ' ').slice(0, 19))} UTC</time>`;
}

export function button(action: string, label: string, fields: Record<string, string>): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return `<form method="post" action="${escapeHtml(action)}" class="cds-action">${hidden}<button type="submit">${escapeHtml(label)}</button></form>`;
}

export const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
code{font-size:.85em;word-break:break-all}.cds-action{display:inline-block;margin:.2rem .5rem .2rem 0}
button{font:inherit;padding:.35rem .8rem;border:1px solid #2d3b45;border-radius:4px;background:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #0770a3;outline-offset:2px}
.cds-problem{border-left:4px solid #b3261e;background:#fdecea;padding:.5rem 1rem}
.cds-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
select{font:inherit;padding:.3rem}.cds-hint{color:#555;font-size:.9em}
#cds-notice:empty{display:none}#cds-notice{background:#eef6fb;padding:.5rem 1rem;border-left:4px solid #0770a3}`;
