import { createHash } from 'node:crypto';
import type { SimInvoice } from './invoice-store.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every value on these pages comes from a merchant request, so every value is escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** `15000` -> `15 000 XOF`, with a plain space so tests and terminals see what browsers show. */
export function formatXof(amount: number | string): string {
  const text = String(amount).trim();
  if (!/^-?\d+$/.test(text)) return `${text} XOF`;
  const sign = text.startsWith('-') ? '-' : '';
  const digits = sign ? text.slice(1) : text;
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')} XOF`;
}

const CSS = [
  'body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:2rem;color:#1d2330}',
  'main{max-width:34rem;margin:auto;background:#fff;border-radius:8px;padding:1.5rem}',
  '.banner{background:#fff3cd;padding:.4rem .6rem;border-radius:4px;font-size:.85rem}',
  '.tagline,.muted{color:#667}',
  'table{width:100%;border-collapse:collapse;margin:1rem 0}',
  'th,td{text-align:left;padding:.3rem;border-bottom:1px solid #e3e5e8}',
  'td.n,th.n{text-align:right}',
  '.total{font-size:1.2rem}',
  '.actions{display:flex;gap:.5rem}',
  'button{font-size:1rem;padding:.5rem 1.2rem;border:0;border-radius:4px;cursor:pointer;color:#fff}',
  '.pay{background:#1a7f37}.cancel{background:#6e7781}.fail{background:#cf222e}',
].join('');
const CSS_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

/**
 * No scripts, no external resources, no framing. Forms may post to this origin and, because Chrome applies
 * form-action to the redirect that follows a post, to the invoice's return and cancel origins.
 */
export function contentSecurityPolicy(formTargets: string[] = []): string {
  const origins = formTargets.flatMap((target) => {
    try {
      const url = new URL(target);
      return url.protocol === 'http:' || url.protocol === 'https:' ? [url.origin] : [];
    } catch {
      return [];
    }
  });
  return [
    "default-src 'none'",
    `style-src '${CSS_HASH}'`,
    `form-action ${["'self'", ...new Set(origins)].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body><main>
<p class="banner">PayDunya simulator: no real money moves here.</p>
${body}
</main></body>
</html>
`;
}

/** @param basePath `/sandbox-checkout/invoice` or `/checkout/invoice`, where the buttons post. */
export function renderCheckoutPage(invoice: SimInvoice, basePath: string): string {
  const rows = Object.values(invoice.items)
    .map(
      (item) =>
        `<tr><td>${escapeHtml(item.name)}</td><td class="n">${escapeHtml(item.quantity)}</td>` +
        `<td class="n">${escapeHtml(formatXof(item.unit_price))}</td>` +
        `<td class="n">${escapeHtml(formatXof(item.total_price))}</td></tr>`,
    )
    .join('\n');
  const taxes = Object.values(invoice.taxes)
    .map(
      (tax) =>
        `<tr><td colspan="3">${escapeHtml(tax.name)}</td><td class="n">${escapeHtml(formatXof(tax.amount))}</td></tr>`,
    )
    .join('\n');
  const table =
    rows || taxes
      ? `<table>
<thead><tr><th>Item</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Total</th></tr></thead>
<tbody>
${rows}
${taxes}
</tbody>
</table>`
      : '';
  const action = (verb: string) => `${basePath}/${encodeURIComponent(invoice.token)}/${verb}`;
  const controls =
    invoice.status === 'pending'
      ? `<div class="actions">
<form method="post" action="${escapeHtml(action('pay'))}"><button type="submit" class="pay">Pay</button></form>
<form method="post" action="${escapeHtml(action('cancel'))}"><button type="submit" class="cancel">Cancel</button></form>
<form method="post" action="${escapeHtml(action('fail'))}"><button type="submit" class="fail">Fail</button></form>
</div>`
      : `<p class="status">This invoice is <strong>${escapeHtml(invoice.status)}</strong>.</p>`;
  const tagline = invoice.store.tagline ? `<p class="tagline">${escapeHtml(invoice.store.tagline)}</p>` : '';
  const description = invoice.description ? `<p>${escapeHtml(invoice.description)}</p>` : '';
  return layout(
    `Pay ${invoice.store.name}`,
    `<h1>${escapeHtml(invoice.store.name)}</h1>
${tagline}
${description}
${table}
<p class="total">Total: <strong>${escapeHtml(formatXof(invoice.total_amount))}</strong></p>
<p class="muted">Invoice ${escapeHtml(invoice.token)} (${escapeHtml(invoice.mode)} mode)</p>
${controls}`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** What a real gateway's front proxy sends on a 5xx: HTML, not the JSON the client hopes for. */
export function renderGatewayErrorPage(status: number): string {
  return `<!DOCTYPE html>
<html><head><title>${status} Error</title></head>
<body><h1>${status} Error</h1><p>The server encountered an internal error.</p></body></html>
`;
}
