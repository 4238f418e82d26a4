// Light, dark, or the system's choice, remembered in this browser. The page's
// <html data-theme> drives both the app's colours and the editor's
// (client/styles.css); an inline script in each page's head applies the
// remembered choice before the first paint, so a dark page never flashes white.

export type Theme = 'auto' | 'light' | 'dark'

export const THEME_KEY = 'collab-editor:theme'

export function rememberedTheme(): Theme {
  try {
    const value = localStorage.getItem(THEME_KEY)
    return value === 'light' || value === 'dark' ? value : 'auto'
  } catch {
    return 'auto'
  }
}

/** Whether the page shows dark now (a choice, or the system's when `auto`). */
export function showsDark(theme: Theme = rememberedTheme()): boolean {
  return theme === 'dark' || (theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches)
}

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme
}

/**
 * Make `button` a dark-mode switch: pressed while the page is dark. Switching
 * away from what the system shows is remembered; switching back to it
 * forgets the choice, so the page follows the system again.
 */
export function bindThemeToggle(button: HTMLButtonElement): void {
  const system = matchMedia('(prefers-color-scheme: dark)')
  const show = (): void => button.setAttribute('aria-pressed', String(showsDark()))
  button.addEventListener('click', () => {
    const dark = !showsDark()
    const theme: Theme = dark === system.matches ? 'auto' : dark ? 'dark' : 'light'
    try {
      if (theme === 'auto') localStorage.removeItem(THEME_KEY)
      else localStorage.setItem(THEME_KEY, theme)
    } catch {
      // Not remembered (storage blocked); it still applies to this page.
    }
    applyTheme(theme)
    show()
  })
  system.addEventListener('change', show)
  applyTheme(rememberedTheme())
  show()
}
