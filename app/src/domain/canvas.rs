//! Viewport arithmetic of the pipeline canvas: screen ↔ world coordinates, zooming around
//! the cursor, fitting a drawing to the screen, and culling (only what intersects the
//! viewport is rendered, which keeps pipelines of thousands of tasks smooth).

use super::layout::{NODE_HEIGHT, NODE_WIDTH};
use crate::model::Position;

pub const MIN_ZOOM: f64 = 0.05;
pub const MAX_ZOOM: f64 = 2.5;
/// Below this zoom nodes are drawn without text.
pub const DETAIL_ZOOM: f64 = 0.45;

/// What part of the world the canvas shows: screen = world × zoom + offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub offset_x: f64,
    pub offset_y: f64,
    pub zoom: f64,
}

impl Default for Viewport {
    fn default() -> Self {
        Self { offset_x: 0.0, offset_y: 0.0, zoom: 1.0 }
    }
}

/// An axis-aligned rectangle in world coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn of_node(p: Position) -> Self {
        Self { x: p.x, y: p.y, w: NODE_WIDTH, h: NODE_HEIGHT }
    }

    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }

    /// The rectangle spanned by two corners in any order.
    pub fn spanning(a: (f64, f64), b: (f64, f64)) -> Self {
        Self { x: a.0.min(b.0), y: a.1.min(b.1), w: (a.0 - b.0).abs(), h: (a.1 - b.1).abs() }
    }
}

impl Viewport {
    pub fn to_world(&self, sx: f64, sy: f64) -> (f64, f64) {
        ((sx - self.offset_x) / self.zoom, (sy - self.offset_y) / self.zoom)
    }

    /// The world rectangle a screen of `width` × `height` shows, grown by `margin` screen
    /// pixels on every side.
    pub fn visible(&self, width: f64, height: f64, margin: f64) -> Rect {
        let (x, y) = self.to_world(-margin, -margin);
        Rect { x, y, w: (width + 2.0 * margin) / self.zoom, h: (height + 2.0 * margin) / self.zoom }
    }

    /// Zooms by `factor` keeping the world point under the screen point (sx, sy) in place.
    pub fn zoom_at(&self, sx: f64, sy: f64, factor: f64) -> Self {
        let zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let (wx, wy) = self.to_world(sx, sy);
        Self { offset_x: sx - wx * zoom, offset_y: sy - wy * zoom, zoom }
    }

    pub fn panned(&self, dx: f64, dy: f64) -> Self {
        Self { offset_x: self.offset_x + dx, offset_y: self.offset_y + dy, ..*self }
    }
}

/// The bounding box of nodes at these positions.
pub fn bounds(positions: impl IntoIterator<Item = Position>) -> Option<Rect> {
    let mut it = positions.into_iter();
    let first = it.next()?;
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x + NODE_WIDTH, first.y + NODE_HEIGHT);
    for p in it {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x + NODE_WIDTH);
        y1 = y1.max(p.y + NODE_HEIGHT);
    }
    Some(Rect { x: x0, y: y0, w: x1 - x0, h: y1 - y0 })
}

/// The viewport that shows `content` whole and centred on a `width` × `height` screen,
/// never zooming in beyond 1.
pub fn fit(content: Rect, width: f64, height: f64, padding: f64) -> Viewport {
    let usable_w = (width - 2.0 * padding).max(1.0);
    let usable_h = (height - 2.0 * padding).max(1.0);
    let zoom = (usable_w / content.w.max(1.0)).min(usable_h / content.h.max(1.0)).clamp(MIN_ZOOM, 1.0);
    Viewport {
        offset_x: (width - content.w * zoom) / 2.0 - content.x * zoom,
        offset_y: (height - content.h * zoom) / 2.0 - content.y * zoom,
        zoom,
    }
}

/// Whether the edge between nodes at `a` and `b` may cross `view` (its bounding box does).
pub fn edge_visible(a: Position, b: Position, view: &Rect) -> bool {
    let x0 = a.x.min(b.x);
    let y0 = a.y.min(b.y);
    let span = Rect { x: x0, y: y0, w: (a.x - b.x).abs() + NODE_WIDTH, h: (a.y - b.y).abs() + NODE_HEIGHT };
    span.intersects(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn culling_keeps_only_what_intersects() {
        let view = Viewport::default().visible(800.0, 600.0, 0.0);
        assert!(Rect::of_node(Position { x: 790.0, y: 10.0 }).intersects(&view));
        assert!(!Rect::of_node(Position { x: 801.0, y: 10.0 }).intersects(&view));
        assert!(!Rect::of_node(Position { x: -201.0, y: 10.0 }).intersects(&view));
        let far = Position { x: 5000.0, y: 5000.0 };
        assert!(edge_visible(Position { x: -500.0, y: 100.0 }, Position { x: 2000.0, y: 100.0 }, &view));
        assert!(!edge_visible(far, Position { x: 6000.0, y: 5000.0 }, &view));
    }

    #[test]
    fn fit_shows_everything_centred() {
        let content = Rect { x: 100.0, y: 100.0, w: 4000.0, h: 1000.0 };
        let v = fit(content, 1000.0, 500.0, 20.0);
        let shown = v.visible(1000.0, 500.0, 0.0);
        assert!(shown.x <= content.x && shown.x + shown.w >= content.x + content.w);
        assert!(shown.y <= content.y && shown.y + shown.h >= content.y + content.h);
        assert_eq!(fit(Rect { x: 0.0, y: 0.0, w: 10.0, h: 10.0 }, 1000.0, 500.0, 20.0).zoom, 1.0);
    }

    proptest! {
        #[test]
        fn zooming_keeps_the_point_under_the_cursor(
            ox in -1e4f64..1e4, oy in -1e4f64..1e4, z in 0.1f64..2.0, sx in 0f64..2000.0, sy in 0f64..2000.0, f in 0.5f64..2.0,
        ) {
            let v = Viewport { offset_x: ox, offset_y: oy, zoom: z };
            let before = v.to_world(sx, sy);
            let after = v.zoom_at(sx, sy, f).to_world(sx, sy);
            prop_assert!((before.0 - after.0).abs() < 1e-6 && (before.1 - after.1).abs() < 1e-6);
        }
    }
}
