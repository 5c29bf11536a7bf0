/**
 * Runs before first paint (inline in <head>) so a stored dark/light choice never flashes the
 * other theme. Keep in sync with the key in theme-toggle.tsx.
 */
export const THEME_SCRIPT = `(function(){try{var t=localStorage.getItem("runboard-theme");var d=t==="dark"||(t!=="light"&&matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d)}catch(e){}})()`;
