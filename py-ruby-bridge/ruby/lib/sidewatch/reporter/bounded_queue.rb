# frozen_string_literal: true

module Sidewatch
  module Reporter
    # A FIFO with a hard capacity that drops the OLDEST items when full and counts every drop.
    # Not synchronised: the reporter holds its lock around every call.
    class BoundedQueue
      attr_reader :capacity, :dropped

      def initialize(capacity)
        raise ArgumentError, "queue capacity must be a positive integer, got #{capacity}" unless capacity.is_a?(Integer) && capacity >= 1

        @capacity = capacity
        @items = []
        @dropped = 0
      end

      def length
        @items.length
      end

      def empty?
        @items.empty?
      end

      # Appends; when full, first drops the oldest. Returns how many were dropped (0 or 1).
      def push(item)
        dropped = 0
        if @items.length >= @capacity
          @items.shift
          dropped = 1
          @dropped += 1
        end
        @items << item
        dropped
      end

      def peek
        @items.first
      end

      def shift
        @items.shift
      end

      # Puts items (older than everything queued) back at the front, in order; what does not fit
      # is dropped from the front, oldest first. Returns how many were dropped.
      def unshift_many(items)
        room = @capacity - @items.length
        drop = [0, items.length - room].max
        @dropped += drop
        keep = items.drop(drop)
        @items.unshift(*keep) unless keep.empty?
        drop
      end
    end
  end
end
