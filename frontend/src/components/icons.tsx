/** Inline SVG icons (emoji glyphs depend on the fonts a machine has). */
const common = { viewBox: "0 0 24 24", "aria-hidden": true, className: "h-4 w-4" } as const;

export const PlayIcon = () => (
  <svg {...common} fill="currentColor">
    <path d="M7 4.5v15a1 1 0 0 0 1.5.86l12-7.5a1 1 0 0 0 0-1.72l-12-7.5A1 1 0 0 0 7 4.5Z" />
  </svg>
);

export const PauseIcon = () => (
  <svg {...common} fill="currentColor">
    <rect x="5" y="4" width="5" height="16" rx="1" />
    <rect x="14" y="4" width="5" height="16" rx="1" />
  </svg>
);

export const SkipIcon = () => (
  <svg {...common} fill="currentColor">
    <path d="M4 5.5v13a1 1 0 0 0 1.55.83L15 13v5a1 1 0 0 0 2 0V6a1 1 0 0 0-2 0v5L5.55 4.67A1 1 0 0 0 4 5.5Z" />
  </svg>
);

export const SpeakerIcon = () => (
  <svg {...common} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <path d="M11 5 6 9H2v6h4l5 4V5Z" fill="currentColor" />
    <path d="M15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14" />
  </svg>
);

export const NoteIcon = ({ className = "h-6 w-6" }: { className?: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden className={className} fill="currentColor">
    <path d="M9 17.5V6.2a1 1 0 0 1 .76-.97l9-2.2A1 1 0 0 1 20 4v11.5a2.5 2.5 0 1 1-2-2.45V7.3l-7 1.7v8.5a2.5 2.5 0 1 1-2-2.45Z" />
  </svg>
);

export const HeartIcon = ({ filled = false }: { filled?: boolean }) => (
  <svg {...common} fill={filled ? "currentColor" : "none"} stroke="currentColor" strokeWidth="2" strokeLinejoin="round">
    <path d="M12 20s-7-4.35-7-10a4 4 0 0 1 7-2.65A4 4 0 0 1 19 10c0 5.65-7 10-7 10Z" />
  </svg>
);

export const VoteIcon = () => (
  <svg {...common} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <path d="M5 5l7 7-7 7M13 5l7 7-7 7" />
  </svg>
);

export const MutedIcon = () => (
  <svg {...common} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <path d="M11 5 6 9H2v6h4l5 4V5Z" fill="currentColor" />
    <path d="m16 9 6 6M22 9l-6 6" />
  </svg>
);

/** Spotify's mark (three arcs in a disc), for Spotify's player and links. */
export const SpotifyIcon = ({ className = "h-4 w-4" }: { className?: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden className={className} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
    <circle cx="12" cy="12" r="10" />
    <path d="M7 9.5c3.5-1 7.5-.7 10.5 1M7.5 12.8c3-.8 6-.5 8.5 1M8 16c2.3-.6 4.6-.4 6.5.8" />
  </svg>
);

export const HeadphonesIcon = ({ className = "h-4 w-4" }: { className?: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden className={className} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <path d="M3 18v-6a9 9 0 0 1 18 0v6" />
    <path d="M21 19a2 2 0 0 1-2 2h-1v-6h3v4ZM3 19a2 2 0 0 0 2 2h1v-6H3v4Z" fill="currentColor" />
  </svg>
);
