/** Icons of the player (inline SVG, like components/icons.tsx). */
const common = { viewBox: "0 0 24 24", "aria-hidden": true, className: "h-4 w-4" } as const;

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
