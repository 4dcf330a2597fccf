/** The one stylesheet, served from /static (the CSP forbids inline styles). */
export const STYLESHEET = `
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --accent: #0b57d0; --mark: #ffe680; --bg: #fafafa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header.site { background: #fff; border-bottom: 1px solid var(--line); padding: .6rem 1rem; display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
header.site a.home { font-weight: 700; color: var(--ink); text-decoration: none; }
header.site nav a { margin-right: 1rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.muted, .meta { color: var(--muted); font-size: .9rem; }
mark { background: var(--mark); color: inherit; padding: 0 .1em; }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .5rem; }
form.search label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
form.search input, form.search select { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
form.search input[name=q] { min-width: 22rem; }
button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
details.syntax { margin: .25rem 0 1rem; font-size: .9rem; }
details.syntax code { background: #eee; padding: 0 .25em; }
.layout { display: grid; grid-template-columns: 15rem 1fr; gap: 1.5rem; }
@media (max-width: 48rem) { .layout { grid-template-columns: 1fr; } form.search input[name=q] { min-width: 0; width: 100%; } }
aside.facets h3 { font-size: .95rem; margin: 1rem 0 .25rem; }
aside.facets ul { list-style: none; margin: 0; padding: 0; font-size: .9rem; }
aside.facets li { display: flex; justify-content: space-between; gap: .5rem; }
ol.hits { list-style: none; padding: 0; margin: 0; }
ol.hits li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: .75rem; }
ol.hits .title { font-weight: 600; font-size: 1.05rem; }
ol.hits .snippet { margin: .35rem 0 0; }
.badge { display: inline-block; font-size: .75rem; padding: 0 .45em; border-radius: 3px; background: #e8eaed; color: var(--ink); margin-right: .35rem; }
.badge.removed { background: #fde2e1; }
nav.pages { display: flex; gap: 1rem; margin: 1rem 0; }
.exports { font-size: .9rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
td.url { word-break: break-all; min-width: 14rem; }
ul.plain { margin: 0; padding-left: 1.1rem; }
p.citation { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 6px; padding: .75rem 1rem; word-break: break-word; }
details.counters table { font-size: .8rem; width: auto; }
table.timeliness td:not(:first-child) { font-variant-numeric: tabular-nums; }
table.timeliness tbody th { font-weight: normal; color: var(--muted); width: 22rem; }
details.counters th { font-weight: 400; }
td.hash, .hash { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: .8rem; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
article.message { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
article.message.incoming { border-left: 4px solid #188038; }
article.message.outgoing { border-left: 4px solid var(--accent); }
article.message.comment { border-left: 4px solid #a142f4; }
article.message header { display: flex; justify-content: space-between; flex-wrap: wrap; gap: .5rem; }
.body { white-space: pre-wrap; word-break: break-word; }
details.quoted { color: var(--muted); margin: .25rem 0; }
details.quoted summary { cursor: pointer; font-size: .85rem; }
section.page-text { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
section.page-text h3 { margin: 0 0 .5rem; font-size: 1rem; color: var(--muted); }
section.page-text pre { white-space: pre-wrap; word-break: break-word; font: inherit; margin: 0; }
.notice { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 6px; padding: .75rem 1rem; }
footer.site { max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { background: #fff; font-size: 11pt; }
  header.site nav, form.search, details.syntax, aside.facets, nav.pages, .exports, .no-print, footer.site { display: none; }
  .layout { display: block; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  article.message, ol.hits li, section.page-text, dl.facts { border: none; border-top: 1px solid #999; border-radius: 0; padding-left: 0; page-break-inside: avoid; }
  mark { background: none; font-weight: 700; text-decoration: underline; }
  td.hash, .hash { font-size: 8pt; }
}
`;
