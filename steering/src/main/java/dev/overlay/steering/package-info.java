/** Placeholder until the package's first class lands. */
package dev.overlay.steering;
