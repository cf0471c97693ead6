import { createTheme, darken, type CSSVariablesResolver } from '@mantine/core';

/**
 * The design system: one primary color, readable sizes, focus rings on keyboard focus. The
 * shades are chosen for WCAG AA contrast (4.5:1) in both color schemes: white text on the
 * primary color, and "dimmed" secondary text one step darker (lighter in dark mode) than the
 * library's default, which is below AA on white.
 */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'md',
  focusRing: 'auto',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '650' },
  respectReducedMotion: true,
  autoContrast: true,
  components: {
    // Links inside text must be distinguishable without color.
    Anchor: { defaultProps: { underline: 'always' } },
  },
});

// Text of "light" and "subtle" variants (badges, subtle buttons) is a darkened shade 9 in the
// light scheme: the default shade 6, even shade 9 for green, is below 4.5:1 on the tint.
const TINTED = ['blue', 'green', 'red', 'orange', 'yellow', 'gray', 'teal', 'grape', 'cyan'];

// White on the filled red (destructive buttons) is only 4.5:1 at shade 8: one step darker
// keeps a margin (5.4:1), also while a dialog fades in.
const filledRed = (t: Parameters<CSSVariablesResolver>[0]) => ({
  '--mantine-color-red-filled': t.colors.red[9] ?? '#c92a2a',
  '--mantine-color-red-filled-hover': darken(t.colors.red[9] ?? '#c92a2a', 0.1),
});

export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    ...filledRed(t),
    '--mantine-color-dimmed': t.colors.gray[7] ?? '#495057',
    '--mantine-color-placeholder': t.colors.gray[7] ?? '#495057',
    // Field errors: the library's red 6 is 3.3:1 on white.
    '--mantine-color-error': t.colors.red[9] ?? '#c92a2a',
    ...Object.fromEntries(TINTED.map((c) => [`--mantine-color-${c}-light-color`, darken(t.colors[c]?.[9] ?? '#000000', 0.25)])),
  },
  dark: {
    ...filledRed(t),
    '--mantine-color-dimmed': t.colors.dark[1] ?? '#b8b8b8',
    '--mantine-color-placeholder': t.colors.dark[1] ?? '#b8b8b8',
    // Field errors: the library's red 8 is below 4.5:1 on the dark body.
    '--mantine-color-error': t.colors.red[4] ?? '#ff8787',
  },
});
