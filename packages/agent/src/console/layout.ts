/** The page around every console view: head (the shipped stylesheet and script only), navigation. */
import { html, toString, type SafeHtml } from './html'

export type Section = 'alerts' | 'search' | 'activity' | ''

export interface PageOptions { title: string, section: Section, body: SafeHtml, signedIn?: boolean, csrf?: string }

export function page (options: PageOptions): string {
  const link = (href: string, section: Section, label: string): SafeHtml =>
    html`<a href="${href}"${options.section === section ? html` aria-current="page"` : ''}>${label}</a>`
  const nav = options.signedIn === false
    ? html``
    : html`<nav>${link('/alerts', 'alerts', 'Alerts')}${link('/search', 'search', 'Search')}${link('/activity', 'activity', 'Activity')}</nav>
      ${options.csrf !== undefined ? html`<form method="post" action="/signout" class="signout"><input type="hidden" name="csrf" value="${options.csrf}"><button type="submit">Sign out</button></form>` : ''}`
  return '<!doctype html>\n' + toString(html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · sidewatch</title>
<link rel="stylesheet" href="/static/console.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/console.js" defer></script>
</head>
<body>
<header><a class="brand" href="/alerts">sidewatch</a>${nav}</header>
<main>
${options.body}
</main>
</body>
</html>
`)
}

/** A page that only says what went wrong (401, 404, 400 without a form to show). */
export function messagePage (title: string, message: string, signedIn: boolean): string {
  return page({ title, section: '', signedIn, body: html`<h1>${title}</h1><p class="error" role="alert">${message}</p>` })
}
