// Vite builds the app into dist/ (the image copies it into nginx's html folder). `npm run dev` serves it with the
// API proxied to a running shop: SHOP_URL=http://127.0.0.1:<port> npm run dev (npm run shop -- up prints the URL).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
    plugins: [react()],
    build: {
        outDir: "dist",
        // Every asset a file of its own: the Content-Security-Policy (default-src 'self') allows no data: URLs.
        assetsInlineLimit: 0,
        sourcemap: false,
    },
    server: {
        proxy: process.env.SHOP_URL ? { "/api": process.env.SHOP_URL } : undefined,
    },
});
