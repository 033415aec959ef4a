/**
 * Whether the user has no field of their own in focus (the page itself has it). A page that moves
 * the focus when its data arrives, or sends a scanner's keys to its search, asks this first, so
 * what someone is already typing elsewhere stays where they typed it.
 */
export function nothingFocused(doc: Document = document): boolean {
  const active = doc.activeElement
  return !active || active === doc.body || active === doc.documentElement
}
