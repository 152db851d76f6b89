// The console's only script (served from the agent, no build step, no other origin): live updates
// of the alert list, and the copy button of a suggested exception. Pages work without it.
'use strict'

function watchNewAlerts () {
  const live = document.getElementById('live')
  if (live === null) return
  const base = live.dataset.url
  let failures = 0
  const poll = async () => {
    try {
      const res = await fetch(base, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      if (!res.ok) throw new Error(String(res.status))
      const body = await res.json()
      failures = 0
      if (body.count > 0) {
        document.getElementById('live-count').textContent = String(body.count)
        live.hidden = false
        document.title = `(${body.count}) ` + document.title.replace(/^\(\d+\) /, '')
      }
    } catch {
      failures++
    }
    setTimeout(poll, failures > 0 ? Math.min(30000, 2000 * 2 ** failures) : 2000)
  }
  setTimeout(poll, 2000)
}

function copyButtons () {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.dataset.copy)
      if (source === null) return
      try {
        await navigator.clipboard.writeText(source.textContent)
        button.textContent = 'Copied'
      } catch {
        const range = document.createRange()
        range.selectNodeContents(source)
        const selection = window.getSelection()
        selection.removeAllRanges()
        selection.addRange(range)
        button.textContent = 'Selected: press Ctrl+C'
      }
    })
  }
}

watchNewAlerts()
copyButtons()
